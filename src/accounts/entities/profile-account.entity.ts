import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A person (identity's profile) belongs to a company. */
@Entity('profile_accounts')
@Index('ix_profile_accounts_account', ['accountId'])
export class ProfileAccountEntity {
  @PrimaryColumn({ name: 'profile_id', type: 'char', length: 36 })
  profileId: string;

  @PrimaryColumn({ name: 'account_id', type: 'char', length: 36 })
  accountId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
