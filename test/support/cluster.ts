import { createConnection, type Connection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../src/config/configuration';
import { spawnServer, type ServerProcess } from './server-process';
import { ADMIN_TOKEN, dropTestState, testConfig } from './test-app';

/**
 * Several real service processes (ts-node children) on one test database and one Redis prefix, as
 * a scaled-out deployment runs them. Every process gets the same SECRETS_KEY, so a destination
 * created through one API can be decrypted by any worker.
 */
export class Cluster {
  readonly apis: ServerProcess[] = [];
  readonly workers: ServerProcess[] = [];
  readonly secretsKey = randomBytes(32).toString('base64');
  private db: Connection | null = null;

  private constructor(
    readonly config: AppConfig,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * Starts `apis` API processes and `workers` worker processes at once: they share one fresh
   * database, which they create and migrate themselves (under the migration lock).
   */
  static async start(opts: {
    apis: number;
    workers: number;
    env?: Record<string, string>;
  }): Promise<Cluster> {
    const cluster = new Cluster(testConfig(), opts.env ?? {});
    try {
      await Promise.all([
        ...Array.from({ length: opts.apis }, () => cluster.spawn('api')),
        ...Array.from({ length: opts.workers }, () => cluster.spawn('worker')),
      ]);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  async spawn(role: 'api' | 'worker'): Promise<ServerProcess> {
    const p = await spawnServer(this.config, {
      ROLE: role,
      SECRETS_KEY: this.secretsKey,
      ...this.env,
    });
    (role === 'api' ? this.apis : this.workers).push(p);
    return p;
  }

  /** An admin request against the first live API. */
  async admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const api = this.apis.find((a) => alive(a));
    if (!api) throw new Error('no live api process');
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async createSource(): Promise<{ id: string; writeKey: string; publicKey: string }> {
    const res = await this.admin('POST', '/admin/sources', { name: 'cluster source' });
    if (res.status !== 201)
      throw new Error(`create source: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A direct connection to the shared database, for assertions the admin API does not offer. */
  async sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> {
    this.db ??= await createConnection({ uri: this.config.databaseUrl });
    const [rows] = await this.db.query(query, params);
    return rows as T[];
  }

  async close(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    this.db = null;
    await Promise.all([...this.apis, ...this.workers].map((p) => stop(p)));
    await dropTestState(this.config);
  }
}

export const alive = (p: ServerProcess): boolean =>
  p.proc.exitCode === null && p.proc.signalCode === null;

/** SIGTERM (graceful), then SIGKILL if the process lingers. */
export async function stop(p: ServerProcess, graceMs = 10_000): Promise<void> {
  if (!alive(p)) return;
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => alive(p) && p.proc.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Runs `tasks` with at most `limit` of them in flight. */
export async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const run = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, run));
  return results;
}

/** A deterministic PRNG (mulberry32), so a failing workload can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
