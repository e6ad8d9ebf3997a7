import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A message we refused, kept with its reasons so nothing is silently lost. */
@Entity('rejected_events')
@Index('ix_rejected_source_received', ['sourceId', 'receivedAt'])
export class RejectedEventEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'source_id', type: 'char', length: 36 })
  sourceId: string;

  @Column({ name: 'message_id', type: 'varchar', length: 255, nullable: true })
  messageId: string | null;

  /** Position of the message in its batch. */
  @Column({ name: 'batch_index', type: 'int' })
  batchIndex: number;

  /** The message as received; when it was not JSON-representable, its text under `raw`. */
  @Column({ type: 'json' })
  payload: unknown;

  @Column({ type: 'json' })
  errors: string[];

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;
}
