/**
 * Delivery throughput: one worker process against a local fake platform.
 *
 *   npm run bench:deliver                       # 20,000 events to a webhook
 *   BENCH_TYPE=meta_capi BENCH_EVENTS=50000 npm run bench:deliver
 *
 * The service runs as child processes: a ROLE=api one that takes the events, and one ROLE=worker.
 * Phase 1 (throughput): N events are stored first, then the worker starts and runs the pipeline and
 * the deliveries; deliveries/s is counted at the fake platform from its first to its last request,
 * and the Track rows are checked afterwards.
 * Phase 2 (queue lag): events arrive at BENCH_RATE per second for BENCH_SECONDS while the worker runs;
 * the lag is the time from the ingestion request to the platform receiving the event.
 * Uses a fresh `tracking_bench_*` database and Redis prefix, dropped at the end.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import {
  BENCH_ADMIN_TOKEN,
  BROWSER_USER_AGENT,
  envNumber,
  percentile,
  runMain,
  startServer,
} from './support';

const BATCH = 500;

export interface DeliverOptions {
  /** Events stored before the worker starts (phase 1). */
  events: number;
  /** Destination type: webhook or meta_capi. */
  type: string;
  /** Phase 2 arrival rate, events per second. */
  rate: number;
  /** Phase 2 duration. */
  seconds: number;
}

export interface DeliverResult {
  type: string;
  events: number;
  /** Phase 1: events delivered per second by one worker, first to last platform request. */
  deliveriesPerSec: number;
  deliverySeconds: number;
  platformRequests: number;
  /** From spawning the worker to the platform's first request (boot, pipeline, first job). */
  workerStartupSec: number;
  /** Phase 2: ingestion request → the platform has the event, under a steady arrival rate. */
  lag: {
    ratePerSec: number;
    seconds: number;
    delivered: number;
    expected: number;
    p50Ms: number;
    p95Ms: number;
    maxMs: number;
    /** Highest number of delivery jobs waiting in Redis, sampled every 100 ms. */
    queueWaitingMax: number;
  };
  /** Track rows by status at the end (every event once, `succeeded`). */
  tracks: Record<string, number>;
  processes: Array<{ name: string; pid: number; peakRssMb: number }>;
}

export function deliverOptionsFromEnv(): DeliverOptions {
  const type = process.env.BENCH_TYPE || 'webhook';
  if (type !== 'webhook' && type !== 'meta_capi') {
    throw new Error(`BENCH_TYPE must be webhook or meta_capi (got "${type}")`);
  }
  return {
    events: envNumber('BENCH_EVENTS', 20000),
    type,
    rate: envNumber('BENCH_RATE', 1000),
    seconds: envNumber('BENCH_SECONDS', 10),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchDeliver(
  opts: DeliverOptions = deliverOptionsFromEnv(),
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<DeliverResult> {
  const N = opts.events;

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

  const server = await startServer({
    ROLE: 'api',
    SECRETS_KEY: randomBytes(32).toString('base64'),
  });
  const redis = new Redis(server.redisUrl);
  try {
    const post = async (path: string, body: unknown, auth: string) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: auth },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const admin = `Bearer ${BENCH_ADMIN_TOKEN}`;
    const source = await post('/admin/sources', { name: 'bench' }, admin);
    const writeKey = `Basic ${Buffer.from(`${source.writeKey as string}:`).toString('base64')}`;
    const settings =
      opts.type === 'meta_capi'
        ? { pixelId: '1234', accessToken: 'bench-token', endpoint: fakeUrl }
        : { url: `${fakeUrl}/hook`, secret: 'bench-secret' };
    await post(
      '/admin/destinations',
      { sourceId: source.id, type: opts.type, name: 'bench', settings },
      admin,
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
          // A browser's: a bot's events stop before the pipeline and would never be delivered.
          userAgent: BROWSER_USER_AGENT,
          page: { url: 'https://shop.example/checkout' },
        },
      }));
      const now = Date.now();
      for (const m of batch) sentAt.set(m.messageId, now);
      await post('/v1/batch', { batch }, writeKey);
    };

    log(`storing ${N} events (${opts.type})...`);
    for (let i = 0; i < N; i += BATCH) await ingest('p1', i, Math.min(BATCH, N - i));

    log('starting one worker...');
    const started = Date.now();
    const worker = server.startWorker();
    const phase1 = () => [...arrivals.keys()].filter((k) => k.startsWith('p1-')).length;
    while (phase1() < N) {
      if (Date.now() - started > 600_000)
        throw new Error(`only ${phase1()} of ${N} delivered after 10 minutes`);
      if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
      await sleep(50);
    }
    const seconds1 = (last - first) / 1000;
    const deliveriesPerSec = Math.round(N / seconds1);
    log(
      `phase 1: ${N} events delivered in ${seconds1.toFixed(2)} s from the first request: ` +
        `${deliveriesPerSec} deliveries/s (${requests} HTTP requests; worker start-up ${((first - started) / 1000).toFixed(1)} s)`,
    );

    // Phase 2: steady arrivals; lag = ingestion request → the platform has it.
    const perTick = Math.max(1, Math.round(opts.rate / 10));
    const total = perTick * 10 * opts.seconds;
    const waiting: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < total; i += perTick) {
      const due = t0 + (i / perTick) * 100;
      const delay = due - Date.now();
      if (delay > 0) await sleep(delay);
      await ingest('p2', i, perTick);
      waiting.push(await redis.llen(`${server.redisPrefix}:delivery:wait`));
    }
    const phase2Ids = [...sentAt.keys()].filter((k) => k.startsWith('p2-'));
    const deadline = Date.now() + 120_000;
    while (phase2Ids.some((id) => !arrivals.has(id)) && Date.now() < deadline) await sleep(50);
    const lags = phase2Ids
      .filter((id) => arrivals.has(id))
      .map((id) => (arrivals.get(id) as number) - (sentAt.get(id) as number))
      .sort((a, b) => a - b);
    const lag = {
      ratePerSec: perTick * 10,
      seconds: opts.seconds,
      delivered: lags.length,
      expected: phase2Ids.length,
      p50Ms: percentile(lags, 50),
      p95Ms: percentile(lags, 95),
      maxMs: lags.length ? lags[lags.length - 1] : 0,
      queueWaitingMax: Math.max(0, ...waiting),
    };
    log(
      `phase 2: ${lag.delivered}/${lag.expected} events at ${lag.ratePerSec}/s for ${lag.seconds} s; ` +
        `lag ingest → platform p50 ${lag.p50Ms} ms, p95 ${lag.p95Ms} ms, max ${lag.maxMs} ms; ` +
        `delivery queue waiting max ${lag.queueWaitingMax} jobs`,
    );
    const processes = await server.peakRss();

    // Every event has its succeeded Track row.
    const conn = await createConnection({ uri: server.databaseUrl });
    const [rows] = (await conn.query(
      'SELECT status, COUNT(*) AS n FROM tracks GROUP BY status',
    )) as unknown as [Array<{ status: string; n: number }>];
    await conn.end();
    const tracks = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    log(`tracks: ${JSON.stringify(tracks)}`);
    return {
      type: opts.type,
      events: N,
      deliveriesPerSec,
      deliverySeconds: Number(seconds1.toFixed(2)),
      platformRequests: requests,
      workerStartupSec: Number(((first - started) / 1000).toFixed(1)),
      lag,
      tracks,
      processes,
    };
  } finally {
    redis.disconnect();
    await server.stop();
    fake.closeAllConnections();
    fake.close();
  }
}

if (require.main === module) {
  runMain(async () => {
    const result = await benchDeliver();
    console.log(JSON.stringify(result));
  });
}
