import { createConnection } from 'mysql2/promise';
import { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from '../migrations';

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
}

/** Creates the database named in the URL when it is missing, so a fresh MySQL needs no setup. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = databaseName(databaseUrl);
  url.pathname = '/';
  const conn = await createConnection({
    uri: url.toString().replace(/^mariadb:/, 'mysql:'),
    connectTimeout: 5000,
  });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = databaseName(databaseUrl);
  url.pathname = '/';
  const conn = await createConnection({ uri: url.toString().replace(/^mariadb:/, 'mysql:') });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name.replace(/`/g, '``')}\``);
  } finally {
    await conn.end();
  }
}

/** TypeORM options shared by the app and the migration CLI. Times are UTC on the wire. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'mysql',
    url: databaseUrl.replace(/^mariadb:/, 'mysql:'),
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    migrations,
    migrationsRun: false,
    synchronize: false,
    supportBigNumbers: true,
    bigNumberStrings: true,
    extra: { connectionLimit: 20, enableKeepAlive: true, connectTimeout: 5000 },
  };
}

/**
 * Runs pending migrations under a MySQL named lock, so that several api and worker processes
 * starting at once (docker compose, a rolling deploy) migrate once instead of racing each other.
 */
export async function migrateWithLock(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [{ got }] = (await runner.query(
      "SELECT GET_LOCK('tracking_migrations', 120) AS got",
    )) as Array<{
      got: number | string | null;
    }>;
    if (Number(got) !== 1) throw new Error('timed out waiting for the migration lock');
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query("SELECT RELEASE_LOCK('tracking_migrations')");
    }
  } finally {
    await runner.release();
  }
}
