import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Destinations and their Track rows. `tracks.event_id` points at `events.id` (many tracks to one
 * event) without a foreign key: `events` is meant to be partitioned by time at scale, and partitioned
 * InnoDB tables take no foreign keys.
 */
export class Destinations1763900003000 implements MigrationInterface {
  name = 'Destinations1763900003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE destinations (
        id CHAR(36) NOT NULL,
        source_id CHAR(36) NOT NULL,
        type VARCHAR(32) NOT NULL,
        name VARCHAR(200) NOT NULL,
        enabled TINYINT(1) NOT NULL DEFAULT 1,
        settings JSON NOT NULL,
        mapping JSON NOT NULL,
        filter JSON NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        PRIMARY KEY (id),
        KEY ix_destinations_source (source_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE tracks (
        id CHAR(36) NOT NULL,
        event_id CHAR(36) NOT NULL,
        destination_id CHAR(36) NOT NULL,
        attempt INT NOT NULL,
        status VARCHAR(16) NOT NULL,
        request JSON NULL,
        response JSON NULL,
        error TEXT NULL,
        replay_of CHAR(36) NULL,
        run_id CHAR(36) NULL,
        created_at DATETIME(3) NOT NULL,
        sent_at DATETIME(3) NULL,
        PRIMARY KEY (id),
        KEY ix_tracks_event (event_id, destination_id),
        KEY ix_tracks_destination (destination_id, id),
        KEY ix_tracks_status (status, id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tracks');
    await q.query('DROP TABLE destinations');
  }
}
