/**
 * Delivery throughput: one worker process against a local fake platform.
 *
 *   npm run bench:deliver                       # 20,000 events to a webhook
 *   BENCH_TYPE=meta_capi BENCH_EVENTS=50000 npm run bench:deliver
 *
 * Phase 1 (throughput): N events are stored first, then one worker (ROLE=worker, a child process)
 * starts and runs the pipeline and the deliveries; deliveries/s is counted at the fake platform from
 * its first to its last request, and the Track rows are checked afterwards.
 * Phase 2 (queue lag): events arrive at BENCH_RATE per second for BENCH_SECONDS while the worker runs;
 * the lag is the time from the ingestion request to the platform receiving the event.
 * Uses a fresh `tracking_bench_*` database and Redis prefix, dropped at the end.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { dropDatabase } from '../src/common/database';
import { loadConfig } from '../src/config/configuration';
import { createHttpApp } from '../src/http-app';

const N = Number(process.env.BENCH_EVENTS ?? 20000);
const TYPE = process.env.BENCH_TYPE ?? 'webhook';
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = 500;
const ADMIN = 'bench-admin';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const base = process.env.BENCH_DATABASE_URL_BASE ?? 'mysql://root@127.0.0.1:3306';
  const env = {
    DATABASE_URL: `${base}/tracking_bench_${tag}`,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `bench_${tag}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig({ ...env, ROLE: 'api' });

  // The fake platform: counts events as they arrive, by messageId, with the arrival time.
  const arrivals = new Map<string, number>();
  let first = 0;
  let last = 0;
  let requests = 0;
  const fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        messageId?: string;
        data?: Array<{ event_id: string }>;
      };
      const ids = body.data ? body.data.map((d) => d.event_id) : [body.messageId as string];
      for (const id of ids) if (!arrivals.has(id)) arrivals.set(id, now);
      requests++;
      if (!first) first = now;
      last = now;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body.data ? `{"events_received":${ids.length},"fbtrace_id":"bench"}` : '{"ok":true}');
    });
  });
  fake.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;

  const app = await createHttpApp(config);
  await app.listen(0, '127.0.0.1');
  const api = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  let worker: ChildProcess | null = null;
  try {
    const post = async (path: string, body: unknown, auth: string) => {
      const res = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: auth },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const source = await post('/admin/sources', { name: 'bench' }, `Bearer ${ADMIN}`);
    const writeKey = `Basic ${Buffer.from(`${source.writeKey as string}:`).toString('base64')}`;
    const settings =
      TYPE === 'meta_capi'
        ? { pixelId: '1234', accessToken: 'bench-token', endpoint: fakeUrl }
        : { url: `${fakeUrl}/hook`, secret: 'bench-secret' };
    await post(
      '/admin/destinations',
      { sourceId: source.id, type: TYPE, name: 'bench', settings },
      `Bearer ${ADMIN}`,
    );

    const sentAt = new Map<string, number>();
    const ingest = async (prefix: string, from: number, count: number) => {
      const batch = Array.from({ length: count }, (_, i) => ({
        type: 'track',
        event: 'Order Completed',
        userId: `u${(from + i) % 5000}`,
        messageId: `${prefix}-${from + i}`,
        properties: { order_id: `o-${from + i}`, revenue: 10, currency: 'USD' },
        context: {
          ip: '203.0.113.9',
          userAgent: 'Mozilla/5.0 bench',
          page: { url: 'https://shop.example/checkout' },
        },
      }));
      const now = Date.now();
      for (const m of batch) sentAt.set(m.messageId, now);
      await post('/v1/batch', { batch }, writeKey);
    };

    process.stdout.write(`storing ${N} events (${TYPE})...\n`);
    for (let i = 0; i < N; i += BATCH) await ingest('p1', i, Math.min(BATCH, N - i));

    process.stdout.write('starting one worker...\n');
    const started = Date.now();
    worker = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, '../src/main.ts')],
      {
        env: {
          ...process.env,
          ...env,
          ROLE: 'worker',
          TS_NODE_PROJECT: join(__dirname, '../tsconfig.json'),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const phase1 = () => [...arrivals.keys()].filter((k) => k.startsWith('p1-')).length;
    while (phase1() < N) {
      if (Date.now() - started > 600_000)
        throw new Error(`only ${phase1()} of ${N} delivered after 10 minutes`);
      if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds1 = (last - first) / 1000;
    process.stdout.write(
      `phase 1: ${N} events delivered in ${seconds1.toFixed(2)} s from the first request: ` +
        `${Math.round(N / seconds1)} deliveries/s (${requests} HTTP requests; worker start-up ${((first - started) / 1000).toFixed(1)} s)\n`,
    );

    // Phase 2: steady arrivals; lag = ingestion request → the platform has it.
    const perTick = Math.max(1, Math.round(RATE / 10));
    const total = perTick * 10 * SECONDS;
    const redis = new Redis(env.REDIS_URL);
    const waiting: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < total; i += perTick) {
      const due = t0 + (i / perTick) * 100;
      const delay = due - Date.now();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await ingest('p2', i, perTick);
      waiting.push(await redis.llen(`${env.REDIS_PREFIX}:delivery:wait`));
    }
    const phase2Ids = [...sentAt.keys()].filter((k) => k.startsWith('p2-'));
    const deadline = Date.now() + 120_000;
    while (phase2Ids.some((id) => !arrivals.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const lags = phase2Ids
      .filter((id) => arrivals.has(id))
      .map((id) => (arrivals.get(id) as number) - (sentAt.get(id) as number))
      .sort((a, b) => a - b);
    await redis.quit();
    process.stdout.write(
      `phase 2: ${lags.length}/${phase2Ids.length} events at ${perTick * 10}/s for ${SECONDS} s; ` +
        `lag ingest → platform p50 ${percentile(lags, 50)} ms, p95 ${percentile(lags, 95)} ms, max ${lags[lags.length - 1]} ms; ` +
        `delivery queue waiting max ${Math.max(...waiting)} jobs\n`,
    );

    // Every event has its succeeded Track row.
    const conn = await createConnection({ uri: env.DATABASE_URL });
    const [rows] = await conn.query('SELECT status, COUNT(*) AS n FROM tracks GROUP BY status');
    await conn.end();
    process.stdout.write(`tracks: ${JSON.stringify(rows)}\n`);
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker?.once('exit', r));
    }
    await app.close();
    fake.closeAllConnections();
    fake.close();
    await dropDatabase(env.DATABASE_URL);
    const redis = new Redis(env.REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${env.REDIS_PREFIX}:*`,
        'COUNT',
        1000,
      );
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
