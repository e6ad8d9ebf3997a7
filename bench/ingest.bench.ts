/**
 * npm run bench:ingest — durable ingest rate through the whole HTTP path (auth, validation,
 * normalisation, enrichment, one multi-row INSERT IGNORE, dispatch to the pipeline), beside the raw
 * ceiling of the same rows inserted straight into a same-shaped table with mysql2 from 4
 * connections, measured in the same run with the service idle. Both rates leave out their first
 * seconds (a third of the run, at most 5 s), so they compare steady rates, not InnoDB's first burst. The service runs as child processes
 * (a ROLE=api and a ROLE=worker by default), so each one's peak RSS is its own. By default the
 * worker starts when the load ends, so the API and the ceiling get the same CPU; the worker's
 * pipeline rate (identity resolution) is then measured on the backlog the load left.
 *
 * BENCH_SECONDS (default 15), BENCH_CONCURRENCY (default 8), BENCH_BATCH (default 100),
 * BENCH_ROLES (split | all, default split), BENCH_WORKER (after | during, default after),
 * BENCH_DRAIN_SECONDS (default 60), GEOIP (on | off).
 */
import { Connection, createConnection, createPool } from 'mysql2/promise';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  BROWSER_USER_AGENT,
  createSource,
  envNumber,
  percentile,
  runMain,
  startServer,
} from './support';

const USER_AGENT = BROWSER_USER_AGENT;

let counter = 0;
const runTag = randomBytes(3).toString('hex');

/** A realistic Segment track call (~700 bytes of JSON). */
function message(i: number): Record<string, unknown> {
  const n = counter++;
  return {
    type: i % 10 === 0 ? 'identify' : 'track',
    messageId: `bench-${runTag}-${n}`,
    anonymousId: `anon-${n % 5000}`,
    userId: n % 3 === 0 ? `user-${n % 2000}` : undefined,
    event: 'Product Viewed',
    properties: { product_id: `sku-${n % 500}`, price: 19.99, currency: 'USD', category: 'Shoes' },
    traits: i % 10 === 0 ? { email: `user${n % 2000}@example.com`, plan: 'pro' } : undefined,
    timestamp: new Date().toISOString(),
    context: {
      ip: '24.5.68.47',
      userAgent: USER_AGENT,
      page: {
        url: 'https://shop.example/p/sku?utm_source=google&utm_medium=cpc&gclid=Cj0KCQ',
        referrer: 'https://google.com/',
      },
      library: { name: 'analytics-node', version: '3.1.0' },
      locale: 'en-US',
    },
  };
}

async function runHttpLoad(url: string, writeKey: string, opts: IngestOptions) {
  const { seconds, concurrency, batch } = opts;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const deadline = Date.now() + seconds * 1000;

  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          path: '/v1/batch',
          method: 'POST',
          agent,
          headers: {
            Authorization: auth,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const worker = async () => {
    while (Date.now() < deadline) {
      const body = JSON.stringify({
        batch: Array.from({ length: batch }, (_, i) => message(i)),
        sentAt: new Date().toISOString(),
      });
      const t0 = process.hrtime.bigint();
      try {
        const status = await post(body);
        if (status === 200) sent += batch;
        else errors++;
      } catch {
        errors++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return {
    elapsed: (Date.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    errors,
    sent,
  };
}

/**
 * The ceiling: the same rows, straight into a table made like `events`, from 4 connections, multi-row
 * INSERT IGNORE, for `seconds`; rows are counted after the first `settle` seconds only.
 */
async function runRawCeiling(
  databaseUrl: string,
  seconds: number,
  settle: number,
  batch: number,
): Promise<{ rows: number; elapsed: number }> {
  const admin = await createConnection({ uri: databaseUrl });
  await admin.query('DROP TABLE IF EXISTS events_ceiling');
  await admin.query('CREATE TABLE events_ceiling LIKE events');
  await admin.end();
  const pool = createPool({ uri: databaseUrl, connectionLimit: 4, timezone: 'Z' });
  const cols =
    'id, source_id, message_id, type, event, name, user_id, anonymous_id, group_id, previous_id, account_id, timestamp, original_timestamp, sent_at, received_at, properties, traits, context, integrations, payload, enrichment, bot';
  const placeholder = `(${cols
    .split(',')
    .map(() => '?')
    .join(',')})`;
  const sql = `INSERT IGNORE INTO events_ceiling (${cols}) VALUES ${Array.from({ length: batch }, () => placeholder).join(',')}`;
  const deadline = Date.now() + seconds * 1000;
  const counting = Date.now() + settle * 1000;
  let counted = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const now = new Date();
      const params = Array.from({ length: batch }, (_, i) => {
        const m = message(i);
        const id = `${randomBytes(16)
          .toString('hex')
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}`;
        return [
          id,
          'ceiling-source-00000000000000000000',
          m.messageId,
          m.type,
          m.event,
          null,
          m.userId ?? null,
          m.anonymousId,
          null,
          null,
          null,
          now,
          now,
          now,
          now,
          JSON.stringify(m.properties),
          JSON.stringify(m.traits ?? {}),
          JSON.stringify(m.context),
          '{}',
          JSON.stringify(m),
          '{"channel":"segment"}',
          0,
        ];
      }).flat();
      const [res] = (await pool.query(sql, params)) as unknown as [{ affectedRows: number }];
      if (Date.now() >= counting) counted += res.affectedRows;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const elapsed = (Date.now() - counting) / 1000;
  await pool.query('DROP TABLE events_ceiling');
  await pool.end();
  return { rows: counted, elapsed };
}

export interface IngestOptions {
  seconds: number;
  concurrency: number;
  batch: number;
  /** `split`: a ROLE=api and a ROLE=worker process, as docs/operations.md runs them; `all`: one ROLE=all. */
  roles: 'split' | 'all';
  /**
   * With `split`: `after` starts the worker once the load is over, so the API is measured against the
   * ceiling on the same CPU the ceiling had, and the worker's pipeline rate is measured on the backlog;
   * `during` runs both at once, as one machine would in production.
   */
  worker: 'after' | 'during';
  /** GEOIP of the API process (on|off); unset keeps the service default (on). */
  geoip?: string;
  /** How long to wait for the pipeline to resolve every stored event before giving up. */
  drainSeconds: number;
}

export interface IngestResult {
  roles: string;
  geoip: string;
  seconds: number;
  concurrency: number;
  batch: number;
  durableEventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  /** Every event the load stored (durableEventsPerSec counts only those after the settle time). */
  storedEvents: number;
  ceilingEventsPerSec: number;
  /** Seconds at the start of the load and of the ceiling left out of both rates. */
  settleSeconds: number;
  ratioToCeiling: number;
  /** The worker's pipeline (identity resolution, then fan-out to destinations: none here). */
  pipeline: {
    ran: 'after the load' | 'during the load';
    backlogAtEndOfLoad: number;
    /** Every stored event got its profile within drainSeconds. */
    drained: boolean;
    /** Events resolved per second: from the worker's first progress (after) or the load's start (during). */
    eventsPerSec: number;
  };
  processes: Array<{ name: string; pid: number; peakRssMb: number }>;
}

export function ingestOptionsFromEnv(): IngestOptions {
  const roles = process.env.BENCH_ROLES || 'split';
  if (roles !== 'split' && roles !== 'all') {
    throw new Error(`BENCH_ROLES must be split or all (got "${roles}")`);
  }
  const worker = process.env.BENCH_WORKER || 'after';
  if (worker !== 'after' && worker !== 'during') {
    throw new Error(`BENCH_WORKER must be after or during (got "${worker}")`);
  }
  return {
    seconds: envNumber('BENCH_SECONDS', 15),
    concurrency: envNumber('BENCH_CONCURRENCY', 8),
    batch: envNumber('BENCH_BATCH', 100),
    roles,
    worker,
    geoip: process.env.GEOIP || undefined,
    drainSeconds: envNumber('BENCH_DRAIN_SECONDS', 60),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchIngest(
  opts: IngestOptions = ingestOptionsFromEnv(),
): Promise<IngestResult> {
  const split = opts.roles === 'split';
  const workerAfter = split && opts.worker === 'after';
  const server = await startServer({
    ROLE: split ? 'api' : 'all',
    ...(opts.geoip ? { GEOIP: opts.geoip } : {}),
  });
  let db: Connection | null = null;
  try {
    const conn = (db = await createConnection({ uri: server.databaseUrl }));
    const count = async (where = '') =>
      Number(
        (
          (await conn.query(`SELECT COUNT(*) AS n FROM events${where}`)) as unknown as [
            [{ n: number }],
          ]
        )[0][0].n,
      );
    const unresolved = () => count(' WHERE profile_id IS NULL');
    /** Waits until every event has its profile; false when `seconds` ran out first. */
    const waitResolved = async (seconds: number): Promise<boolean> => {
      const deadline = Date.now() + seconds * 1000;
      while ((await unresolved()) > 0) {
        if (Date.now() > deadline) return false;
        await sleep(250);
      }
      return true;
    };

    const source = await createSource(server.url);
    // Warm-up: JIT, connection pools, caches.
    await runHttpLoadFor(server.url, source.writeKey, 2, opts.batch);
    if (split && !workerAfter) server.startWorker();
    // With the worker running, let it finish the warm-up so the ceiling is measured with the service idle.
    if (!workerAfter) await waitResolved(20);
    // Both sides are counted after their first `settle` seconds only: a fresh burst of inserts is
    // absorbed by InnoDB's buffers far faster than it can be sustained, so the steady rates compare.
    const settle = Math.min(5, opts.seconds / 3);
    const ceiling = await runRawCeiling(server.databaseUrl, opts.seconds, settle, opts.batch);
    await sleep(3000); // let MySQL settle after the ceiling, so the load does not pay its flushing

    const before = await count();
    const resolvedBefore = before - (await unresolved());
    const loadStarted = Date.now();
    const settled = sleep(settle * 1000).then(async () => ({ at: Date.now(), n: await count() }));
    const load = await runHttpLoad(server.url, source.writeKey, opts);
    const loadEnded = Date.now();
    const total = await count();
    const stored = total - before;
    const steady = await settled;
    const backlog = await unresolved();

    // Resolved events when the pipeline's clock starts: at the load's start, or at the worker's first
    // resolved event when it starts after the load (its start-up is not pipeline time).
    let pipelineFrom = loadStarted;
    let resolvedAtStart = resolvedBefore;
    if (workerAfter) {
      server.startWorker();
      const deadline = Date.now() + opts.drainSeconds * 1000;
      let left = backlog;
      while (left === backlog && Date.now() < deadline) {
        await sleep(100);
        left = await unresolved();
      }
      pipelineFrom = Date.now();
      resolvedAtStart = before + stored - left;
    }
    const drained = await waitResolved(opts.drainSeconds);
    const resolved = (await count()) - (await unresolved()) - resolvedAtStart;
    const pipelineSeconds = (Date.now() - pipelineFrom) / 1000;
    const processes = await server.peakRss();

    const ingestRate = (total - steady.n) / ((loadEnded - steady.at) / 1000);
    const ceilingRate = ceiling.rows / ceiling.elapsed;
    return {
      roles: split ? 'api + worker' : 'all',
      geoip: opts.geoip ?? 'on',
      seconds: opts.seconds,
      concurrency: opts.concurrency,
      batch: opts.batch,
      durableEventsPerSec: Math.round(ingestRate),
      p50Ms: Number(percentile(load.latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(load.latencies, 99).toFixed(1)),
      requests: load.latencies.length,
      errors: load.errors,
      storedEvents: stored,
      ceilingEventsPerSec: Math.round(ceilingRate),
      settleSeconds: settle,
      ratioToCeiling: Number((ingestRate / ceilingRate).toFixed(2)),
      pipeline: {
        ran: workerAfter ? 'after the load' : 'during the load',
        backlogAtEndOfLoad: backlog,
        drained,
        eventsPerSec: Math.round(resolved / Math.max(pipelineSeconds, 0.001)),
      },
      processes,
    };
  } finally {
    await db?.end();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const result = await benchIngest();
  const { pipeline, processes, ...rest } = result;
  console.table({
    ...rest,
    pipelineRan: pipeline.ran,
    pipelineBacklogAtEndOfLoad: pipeline.backlogAtEndOfLoad,
    pipelineDrained: pipeline.drained,
    pipelineEventsPerSec: pipeline.eventsPerSec,
    ...Object.fromEntries(processes.map((p) => [`${p.name}PeakRssMb`, p.peakRssMb])),
  });
  console.log(JSON.stringify(result));
}

async function runHttpLoadFor(url: string, writeKey: string, seconds: number, batch: number) {
  const deadline = Date.now() + seconds * 1000;
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  while (Date.now() < deadline) {
    await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { Authorization: auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch: Array.from({ length: batch }, (_, i) => message(i)) }),
    });
  }
}

if (require.main === module) runMain(main);
