import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts (companies), their per-tenant groups and the profile ↔ account links. `trait_times` keeps,
 * per trait key, the event time of the value held, so an older message never overwrites a newer one.
 * No foreign keys: accounts are never deleted, `profile_id` belongs to the identity module, and FK-less
 * tables stay portable to the distributed MySQL-compatible databases named in ARCHITECTURE.md.
 */
export class Accounts1763900002000 implements MigrationInterface {
  name = 'Accounts1763900002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id CHAR(36) NOT NULL,
        domain VARCHAR(253) NULL,
        account_id VARCHAR(255) NULL,
        traits JSON NOT NULL,
        trait_times JSON NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (id),
        UNIQUE KEY uq_accounts_domain (domain),
        UNIQUE KEY uq_accounts_account_id (account_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE account_groups (
        account_id CHAR(36) NOT NULL,
        group_id VARCHAR(255) NOT NULL,
        traits JSON NOT NULL,
        trait_times JSON NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (account_id, group_id),
        KEY ix_account_groups_group (group_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE profile_accounts (
        profile_id CHAR(36) NOT NULL,
        account_id CHAR(36) NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (profile_id, account_id),
        KEY ix_profile_accounts_account (account_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE profile_accounts');
    await q.query('DROP TABLE account_groups');
    await q.query('DROP TABLE accounts');
  }
}
