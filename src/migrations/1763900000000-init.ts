import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sources, events and rejected events. SQL kept portable between MySQL 8 and MariaDB 10.11
 * (`JSON` is an alias of LONGTEXT with a json_valid check on MariaDB; utf8mb4_bin exists on both and
 * keeps ids case-sensitive, as Segment's are).
 */
export class Init1763900000000 implements MigrationInterface {
  name = 'Init1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sources (
        id CHAR(36) NOT NULL,
        name VARCHAR(200) NOT NULL,
        write_key_hash CHAR(64) NOT NULL,
        public_key VARCHAR(64) NOT NULL,
        settings JSON NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (id),
        UNIQUE KEY uq_sources_write_key (write_key_hash),
        UNIQUE KEY uq_sources_public_key (public_key)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE events (
        id CHAR(36) NOT NULL,
        source_id CHAR(36) NOT NULL,
        message_id VARCHAR(255) NOT NULL,
        type VARCHAR(16) NOT NULL,
        event VARCHAR(255) NULL,
        name VARCHAR(255) NULL,
        user_id VARCHAR(255) NULL,
        anonymous_id VARCHAR(255) NULL,
        group_id VARCHAR(255) NULL,
        previous_id VARCHAR(255) NULL,
        profile_id CHAR(36) NULL,
        account_id CHAR(36) NULL,
        timestamp DATETIME(3) NOT NULL,
        original_timestamp DATETIME(3) NULL,
        sent_at DATETIME(3) NULL,
        received_at DATETIME(3) NOT NULL,
        properties JSON NOT NULL,
        traits JSON NOT NULL,
        context JSON NOT NULL,
        integrations JSON NOT NULL,
        payload JSON NOT NULL,
        enrichment JSON NOT NULL,
        bot TINYINT(1) NOT NULL DEFAULT 0,
        dispatched_at DATETIME(3) NULL,
        PRIMARY KEY (id),
        UNIQUE KEY uq_events_source_message (source_id, message_id),
        KEY ix_events_source_timestamp (source_id, timestamp),
        KEY ix_events_dispatched (dispatched_at),
        KEY ix_events_profile (profile_id),
        KEY ix_events_user (user_id),
        KEY ix_events_anonymous (anonymous_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE rejected_events (
        id CHAR(36) NOT NULL,
        source_id CHAR(36) NOT NULL,
        message_id VARCHAR(255) NULL,
        batch_index INT NOT NULL,
        payload JSON NOT NULL,
        errors JSON NOT NULL,
        received_at DATETIME(3) NOT NULL,
        PRIMARY KEY (id),
        KEY ix_rejected_source_received (source_id, received_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rejected_events');
    await q.query('DROP TABLE events');
    await q.query('DROP TABLE sources');
  }
}
