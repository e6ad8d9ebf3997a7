import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Profiles, the identity graph and its audit trail. `identities.component_id` groups the non-userId
 * identities linked by messages without userId (see IdentityGraph); `profiles.contested_by` lists
 * the userIds of a contested component's profile. The primary key on identities (type, value) is
 * what makes concurrent resolution safe: two workers can never both create the same identity, the
 * loser of that race rolls back and retries against the winner's row.
 */
export class Identity1763900001000 implements MigrationInterface {
  name = 'Identity1763900001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE profiles (
        id CHAR(36) NOT NULL,
        user_id VARCHAR(255) NULL,
        merged_into CHAR(36) NULL,
        contested_by JSON NULL,
        traits JSON NOT NULL,
        trait_times JSON NOT NULL,
        first_touch JSON NULL,
        last_touch JSON NULL,
        first_seen_at DATETIME(3) NULL,
        last_seen_at DATETIME(3) NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        PRIMARY KEY (id),
        KEY ix_profiles_merged_into (merged_into)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE identities (
        type VARCHAR(16) NOT NULL,
        value VARCHAR(255) NOT NULL,
        profile_id CHAR(36) NOT NULL,
        component_id CHAR(36) NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (type, value),
        KEY ix_identities_profile (profile_id),
        KEY ix_identities_component (component_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE profile_merges (
        id CHAR(36) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        from_profile_id CHAR(36) NOT NULL,
        into_profile_id CHAR(36) NOT NULL,
        event_id CHAR(36) NOT NULL,
        message_id VARCHAR(255) NOT NULL,
        details JSON NOT NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (id),
        UNIQUE KEY uq_profile_merges (kind, from_profile_id, into_profile_id, event_id),
        KEY ix_profile_merges_into (into_profile_id),
        KEY ix_profile_merges_from (from_profile_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE profile_merges');
    await q.query('DROP TABLE identities');
    await q.query('DROP TABLE profiles');
  }
}
