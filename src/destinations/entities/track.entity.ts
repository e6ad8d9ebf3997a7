import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TrackStatus } from '../destination-types';

/**
 * One outgoing request for one event (a batched request gives one row per event it carried, with the
 * same response). Many rows to one event: every attempt, every destination, every replay.
 */
@Entity('tracks')
@Index('ix_tracks_event', ['eventId', 'destinationId'])
@Index('ix_tracks_destination', ['destinationId', 'id'])
@Index('ix_tracks_status', ['status', 'id'])
export class TrackEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'event_id', type: 'char', length: 36 })
  eventId: string;

  @Column({ name: 'destination_id', type: 'char', length: 36 })
  destinationId: string;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'varchar', length: 16 })
  status: TrackStatus;

  /** Method, URL, headers and this event's part of the body, secrets masked. Null when not sent. */
  @Column({ type: 'json', nullable: true })
  request: unknown;

  @Column({ type: 'json', nullable: true })
  response: unknown;

  /** Why it failed, died or was skipped. */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** The track this delivery replays (admin replay or backfill). */
  @Column({ name: 'replay_of', type: 'char', length: 36, nullable: true })
  replayOf: string | null;

  /** Null for the delivery fan-out started; the replay request's id otherwise (scopes retry dedup). */
  @Column({ name: 'run_id', type: 'char', length: 36, nullable: true })
  runId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt: Date | null;
}
