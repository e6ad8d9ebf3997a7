/**
 * Identity resolution throughput: messages resolved per second on a mix of new, returning and
 * merging visitors, in pipeline-sized jobs (500 events) run 4 at a time as the worker runs them,
 * against a fresh `tracking_bench_*` database that is dropped afterwards.
 *
 *   npm run bench:identity            # 40,000 messages
 *   BENCH_MESSAGES=100000 npm run bench:identity
 */
import { Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions, dropDatabase, ensureDatabase } from '../src/common/database';
import { newId } from '../src/common/ids';
import type { EventView } from '../src/ingestion/message/canonical-message';
import { IdentityResolver } from '../src/identity/resolution/identity-resolver';
import { envNumber, percentile, RESULT_MARKER, rssMb, runMain } from './support';

const JOB = 500;

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];

/** A stream of messages from a growing population: who is new, who comes back, who logs in where. */
function workload(total: number): { events: EventView[]; mix: Record<string, number> } {
  const anons: string[] = [];
  // Visitors nobody has logged in on yet: logging in takes one, so conflicts stay as rare as shared devices.
  const unclaimed: string[] = [];
  const claim = (): string => {
    const i = Math.floor(Math.random() * unclaimed.length);
    const a = unclaimed[i];
    unclaimed[i] = unclaimed[unclaimed.length - 1];
    unclaimed.pop();
    return a;
  };
  const users: Array<{ userId: string; email: string; phone: string }> = [];
  const mix = { newVisitor: 0, returning: 0, identify: 0, secondDevice: 0 };
  const events: EventView[] = [];
  const start = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < total; i++) {
    const r = Math.random();
    const at = new Date(start + i * 1000).toISOString();
    let e: Partial<EventView>;
    if (r < 0.35 || unclaimed.length < 100) {
      const a = randomUUID();
      anons.push(a);
      unclaimed.push(a);
      mix.newVisitor++;
      e = {
        type: 'page',
        anonymousId: a,
        context: {
          page: {
            url: `https://shop.example/landing?utm_source=google&utm_campaign=c${i % 20}&gclid=G${i}`,
            referrer: 'https://www.google.com/',
          },
        },
      };
    } else if (r < 0.8) {
      mix.returning++;
      e =
        users.length > 0 && Math.random() < 0.4
          ? { type: 'track', event: 'Order Completed', userId: pick(users).userId }
          : { type: 'track', event: 'Product Viewed', anonymousId: pick(anons) };
    } else if (r < 0.93 || users.length === 0) {
      // anonymous → known: merges the visitor's anonymous profile into a new user
      mix.identify++;
      const n = users.length;
      const u = {
        userId: `user-${n}`,
        email: `user${n}@example.com`,
        phone: `+1 415 555 ${1000 + (n % 9000)}`,
      };
      users.push(u);
      e = {
        type: 'identify',
        userId: u.userId,
        anonymousId: claim(),
        traits: { email: u.email, plan: 'free' },
      };
    } else {
      // a known person on another device: the device's profile merges into theirs through the email
      mix.secondDevice++;
      const u = pick(users);
      e = {
        type: 'identify',
        anonymousId: claim(),
        traits: { email: u.email.toUpperCase(), phone: u.phone },
      };
    }
    events.push({
      id: newId(),
      sourceId: 'bench',
      type: 'track',
      messageId: randomUUID(),
      userId: null,
      anonymousId: null,
      event: null,
      name: null,
      properties: {},
      traits: {},
      groupId: null,
      previousId: null,
      context: {},
      integrations: {},
      timestamp: at,
      originalTimestamp: null,
      sentAt: null,
      receivedAt: at,
      profileId: null,
      accountId: null,
      bot: false,
      enrichment: {},
      ...e,
    } as EventView);
  }
  return { events, mix };
}

async function storeEvents(db: DataSource, events: EventView[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const rows = events.slice(i, i + 1000);
    await db.query(
      `INSERT INTO events (id, source_id, message_id, type, user_id, anonymous_id, timestamp, received_at,
         properties, traits, context, integrations, payload, enrichment)
       VALUES ${rows.map(() => "(?,?,?,?,?,?,?,?,'{}',?,?,'{}','{}','{}')").join(',')}`,
      rows.flatMap((e) => [
        e.id,
        e.sourceId,
        e.messageId,
        e.type,
        e.userId,
        e.anonymousId,
        new Date(e.timestamp),
        new Date(e.receivedAt),
        JSON.stringify(e.traits),
        JSON.stringify(e.context),
      ]),
    );
  }
}

export interface IdentityOptions {
  messages: number;
  /** Jobs resolved at once, as the worker's pipeline consumer runs them. */
  concurrency: number;
}

export interface IdentityResult {
  messages: number;
  mix: Record<string, number>;
  jobs: number;
  jobSize: number;
  concurrency: number;
  seconds: number;
  messagesPerSecond: number;
  jobMs: { p50: number; p95: number };
  merges: number;
  conflicts: number;
  retriedTransactions: number;
  liveProfiles: number;
  eventsWithoutProfile: number;
  /** This process (the resolver runs in it, beside the generated workload and ts-node). */
  processes: Array<{ name: string; pid: number; peakRssMb: number }>;
}

export function identityOptionsFromEnv(): IdentityOptions {
  return {
    messages: envNumber('BENCH_MESSAGES', 40_000),
    concurrency: envNumber('BENCH_CONCURRENCY', 4),
  };
}

export async function benchIdentity(
  opts: IdentityOptions = identityOptionsFromEnv(),
): Promise<IdentityResult> {
  const TOTAL = opts.messages;
  const CONCURRENCY = opts.concurrency;
  const base = process.env.BENCH_DATABASE_URL_BASE ?? 'mysql://root@127.0.0.1:3306';
  const databaseUrl = `${base}/tracking_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  Logger.overrideLogger(['error', 'warn']);
  await ensureDatabase(databaseUrl);
  const db = new DataSource({ ...dataSourceOptions(databaseUrl), migrationsRun: false });
  try {
    await db.initialize();
    await db.runMigrations();
    const resolver = new IdentityResolver(db, { defaultPhoneRegion: 'US' });
    const { events, mix } = workload(TOTAL);
    await storeEvents(db, events);
    const jobs: EventView[][] = [];
    for (let i = 0; i < events.length; i += JOB) jobs.push(events.slice(i, i + JOB));

    let next = 0;
    let merges = 0;
    let conflicts = 0;
    let retries = 0;
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          const t0 = process.hrtime.bigint();
          const outcome = await resolver.resolve(resolver.inputsOf(job));
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          merges += outcome.merges.length;
          conflicts += outcome.conflicts.length;
          retries += outcome.attempts - 1;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    const [[profiles]] = [
      await db.query('SELECT COUNT(*) AS n FROM profiles WHERE merged_into IS NULL'),
    ];
    const [[unresolved]] = [
      await db.query('SELECT COUNT(*) AS n FROM events WHERE profile_id IS NULL'),
    ];
    return {
      messages: TOTAL,
      mix,
      jobs: jobs.length,
      jobSize: JOB,
      concurrency: CONCURRENCY,
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Math.round(TOTAL / seconds),
      jobMs: {
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
      },
      merges,
      conflicts,
      retriedTransactions: retries,
      liveProfiles: Number(profiles.n),
      eventsWithoutProfile: Number(unresolved.n),
      processes: [
        { name: 'identity bench', pid: process.pid, peakRssMb: await rssMb(process.pid) },
      ],
    };
  } finally {
    if (db.isInitialized) await db.destroy();
    await dropDatabase(databaseUrl);
  }
}

if (require.main === module) {
  runMain(async () => {
    const result = await benchIdentity();
    if (process.env.BENCH_RESULT_LINE === '1') {
      process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
      return;
    }
    console.log(JSON.stringify(result, null, 2));
    console.log(`identity resolution: ${result.messagesPerSecond} messages/s`);
  });
}
