import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../../ingestion/message/canonical-message';

/** A company, known by its normalised domain, the customer's own id for it, or both. */
@Entity('accounts')
@Index('uq_accounts_domain', ['domain'], { unique: true })
@Index('uq_accounts_account_id', ['accountId'], { unique: true })
export class AccountEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 253, nullable: true })
  domain: string | null;

  /** The external id (Koala `account_id`; a Segment `groupId` when the account had none). */
  @Column({ name: 'account_id', type: 'varchar', length: 255, nullable: true })
  accountId: string | null;

  @Column({ type: 'json' })
  traits: JsonObject;

  /** Per trait key, the event time (ISO 8601) of the value held: later messages win. */
  @Column({ name: 'trait_times', type: 'json' })
  traitTimes: Record<string, string>;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
