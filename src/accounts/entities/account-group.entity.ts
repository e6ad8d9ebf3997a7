import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../../ingestion/message/canonical-message';

/** One tenant of a company in the customer's app (Koala `group_id`, Segment `groupId`). */
@Entity('account_groups')
@Index('ix_account_groups_group', ['groupId'])
export class AccountGroupEntity {
  @PrimaryColumn({ name: 'account_id', type: 'char', length: 36 })
  accountId: string;

  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 255 })
  groupId: string;

  @Column({ type: 'json' })
  traits: JsonObject;

  @Column({ name: 'trait_times', type: 'json' })
  traitTimes: Record<string, string>;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
