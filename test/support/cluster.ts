import { createConnection, type Connection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../src/config/configuration';
import { FakePlatform } from './fake-platform';
import { spawnServer, type ServerProcess } from './server-process';
import { ADMIN_TOKEN, basic, dropTestState, eventually, testConfig } from './test-app';

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

/**
 * A cluster delivering to a webhook on a fake platform, for the multi-process delivery specs.
 * Registers the describe block's beforeAll/afterAll that start and stop both; read `cluster` and
 * `fake` inside the tests (they are set once beforeAll has run).
 */
export function webhookCluster(opts: { apis: number; workers: number }): WebhookCluster {
  const rig = new WebhookCluster();
  beforeAll(async () => {
    rig.fake = await FakePlatform.start();
    // Fast retries: a delivery interrupted by a kill or a race is retried within the test.
    rig.cluster = await Cluster.start({ ...opts, env: { DELIVERY_BACKOFF_MS: '50' } });
  }, 120_000);
  afterAll(async () => {
    await rig.cluster?.close();
    await rig.fake?.close();
  });
  return rig;
}

export class WebhookCluster {
  cluster: Cluster;
  fake: FakePlatform;

  /** A new source and a webhook destination on it posting to the fake platform's `/hook`. */
  async createWebhookSource(name: string, secret: string) {
    const source = await this.cluster.createSource();
    const dest = await this.cluster.admin('POST', '/admin/destinations', {
      sourceId: source.id,
      type: 'webhook',
      name,
      settings: { url: `${this.fake.url}/hook`, secret },
    });
    return { source, dest };
  }

  /** Waits until every one of `messageIds` has reached the webhook at least once. */
  async allDelivered(messageIds: Set<string>, what: string): Promise<void> {
    const delivered = () => new Set(this.fake.on('/hook').map((r) => r.json?.messageId as string));
    await eventually(() => [...messageIds].every((id) => delivered().has(id)), {
      timeoutMs: 90_000,
      intervalMs: 250,
      what,
    });
  }

  /** Track rows by status once none is pending (the workers have recorded every attempt). */
  settledTracks(): Promise<Record<string, number>> {
    return eventually(
      async () => {
        const rows = await this.cluster.sql<{ status: string; n: number }>(
          'SELECT status, COUNT(*) AS n FROM tracks GROUP BY status',
        );
        const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
        return by.pending ? null : by;
      },
      { timeoutMs: 30_000, what: 'no pending track rows' },
    );
  }
}

/** POSTs `batch` to `api`'s /v1/batch as the source with `writeKey`. */
export const postBatch = (api: string, writeKey: string, batch: object[]): Promise<Response> =>
  fetch(`${api}/v1/batch`, {
    method: 'POST',
    headers: { Authorization: basic(writeKey), 'Content-Type': 'application/json' },
    body: JSON.stringify({ batch }),
  });

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
