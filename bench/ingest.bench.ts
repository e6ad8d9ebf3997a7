/**
 * npm run bench:ingest — durable ingest rate through the whole HTTP path (auth, validation,
 * normalisation, enrichment, one multi-row INSERT IGNORE, dispatch to the pipeline, which runs in
 * the same process), beside the raw ceiling of the same rows inserted straight into a same-shaped
 * table with mysql2 from 4 connections, measured in the same run.
 *
 * BENCH_SECONDS (default 15), BENCH_CONCURRENCY (default 8), BENCH_BATCH (default 100).
 */
import { createConnection, createPool } from 'mysql2/promise';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createSource, percentile, rssMb, startServer } from './support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);

const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

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

async function runHttpLoad(url: string, writeKey: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const deadline = Date.now() + SECONDS * 1000;

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
        batch: Array.from({ length: BATCH }, (_, i) => message(i)),
        sentAt: new Date().toISOString(),
      });
      const t0 = process.hrtime.bigint();
      try {
        const status = await post(body);
        if (status === 200) sent += BATCH;
        else errors++;
      } catch {
        errors++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return {
    elapsed: (Date.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    errors,
    sent,
  };
}

/** The ceiling: the same rows, straight into a same-shaped table, 4 connections, multi-row INSERT IGNORE. */
async function runRawCeiling(databaseUrl: string): Promise<{ rows: number; elapsed: number }> {
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
  const sql = `INSERT IGNORE INTO events_ceiling (${cols}) VALUES ${Array.from({ length: BATCH }, () => placeholder).join(',')}`;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      const now = new Date();
      const params = Array.from({ length: BATCH }, (_, i) => {
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
      await pool.query(sql, params);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const elapsed = (Date.now() - started) / 1000;
  const [[{ n }]] = (await pool.query('SELECT COUNT(*) AS n FROM events_ceiling')) as unknown as [
    [{ n: number }],
  ];
  await pool.query('DROP TABLE events_ceiling');
  await pool.end();
  return { rows: Number(n), elapsed };
}

async function main() {
  const server = await startServer(process.env.GEOIP ? { GEOIP: process.env.GEOIP } : {});
  try {
    const source = await createSource(server.url);
    // Warm-up: JIT, connection pools, caches.
    await runHttpLoadFor(server.url, source.writeKey, 2);
    const db = await createConnection({ uri: server.databaseUrl });
    const count = async () =>
      Number(
        ((await db.query('SELECT COUNT(*) AS n FROM events')) as unknown as [[{ n: number }]])[0][0]
          .n,
      );
    const before = await count();
    const load = await runHttpLoad(server.url, source.writeKey);
    const stored = (await count()) - before;
    await db.end();
    const serverRss = await rssMb(server.proc.pid!);

    const ceiling = await runRawCeiling(server.databaseUrl);
    const ingestRate = stored / load.elapsed;
    const ceilingRate = ceiling.rows / ceiling.elapsed;
    const result = {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      batch: BATCH,
      durableEventsPerSec: Math.round(ingestRate),
      p50Ms: Number(percentile(load.latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(load.latencies, 99).toFixed(1)),
      requests: load.latencies.length,
      errors: load.errors,
      ceilingEventsPerSec: Math.round(ceilingRate),
      ratioToCeiling: Number((ingestRate / ceilingRate).toFixed(2)),
      serverPeakRssMb: serverRss,
    };
    console.table(result);
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await server.stop();
  }
}

async function runHttpLoadFor(url: string, writeKey: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  while (Date.now() < deadline) {
    await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { Authorization: auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch: Array.from({ length: BATCH }, (_, i) => message(i)) }),
    });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

export { main as benchIngest };
