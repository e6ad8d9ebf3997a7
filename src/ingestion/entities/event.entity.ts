import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject, MessageType } from '../message/canonical-message';

/** An incoming message as stored. Written with one multi-row INSERT IGNORE per request. */
@Entity('events')
@Index('uq_events_source_message', ['sourceId', 'messageId'], { unique: true })
@Index('ix_events_source_timestamp', ['sourceId', 'timestamp'])
@Index('ix_events_dispatched', ['dispatchedAt'])
@Index('ix_events_profile', ['profileId'])
@Index('ix_events_user', ['userId'])
@Index('ix_events_anonymous', ['anonymousId'])
export class EventEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'source_id', type: 'char', length: 36 })
  sourceId: string;

  @Column({ name: 'message_id', type: 'varchar', length: 255 })
  messageId: string;

  @Column({ type: 'varchar', length: 16 })
  type: MessageType;

  @Column({ type: 'varchar', length: 255, nullable: true })
  event: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 255, nullable: true })
  userId: string | null;

  @Column({ name: 'anonymous_id', type: 'varchar', length: 255, nullable: true })
  anonymousId: string | null;

  @Column({ name: 'group_id', type: 'varchar', length: 255, nullable: true })
  groupId: string | null;

  @Column({ name: 'previous_id', type: 'varchar', length: 255, nullable: true })
  previousId: string | null;

  @Column({ name: 'profile_id', type: 'char', length: 36, nullable: true })
  profileId: string | null;

  @Column({ name: 'account_id', type: 'char', length: 36, nullable: true })
  accountId: string | null;

  @Column({ type: 'datetime', precision: 3 })
  timestamp: Date;

  @Column({ name: 'original_timestamp', type: 'datetime', precision: 3, nullable: true })
  originalTimestamp: Date | null;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt: Date | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;

  @Column({ type: 'json' })
  properties: JsonObject;

  @Column({ type: 'json' })
  traits: JsonObject;

  @Column({ type: 'json' })
  context: JsonObject;

  @Column({ type: 'json' })
  integrations: JsonObject;

  /** The message exactly as received. */
  @Column({ type: 'json' })
  payload: JsonObject;

  /** What the service added (geo, parsed user agent, ...); never mixed into what the caller sent. */
  @Column({ type: 'json' })
  enrichment: JsonObject;

  @Column({ type: 'boolean', default: false })
  bot: boolean;

  /** Set once the pipeline job for this event is in Redis; empty rows are re-enqueued by the sweeper. */
  @Column({ name: 'dispatched_at', type: 'datetime', precision: 3, nullable: true })
  dispatchedAt: Date | null;
}
