import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DestinationFilter, DestinationType } from '../destination-types';

/** A platform a source's events go to. Secret settings are stored encrypted (`enc:v1:...`). */
@Entity('destinations')
@Index('ix_destinations_source', ['sourceId'])
export class DestinationEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'source_id', type: 'char', length: 36 })
  sourceId: string;

  @Column({ type: 'varchar', length: 32 })
  type: DestinationType;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'json' })
  settings: Record<string, unknown>;

  /** Event name (or `page` / `screen`) → the platform's event name; merged over the adapter's defaults. */
  @Column({ type: 'json' })
  mapping: Record<string, string>;

  @Column({ type: 'json' })
  filter: DestinationFilter;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
