/**
 * npm run bench — every benchmark in sequence on this machine, one table, and bench/results.json:
 *
 *   1. ingest: durable events/s through /v1/batch, p50/p99, as a ratio of the raw MySQL
 *      INSERT IGNORE ceiling measured in the same run (bench/ingest.bench.ts);
 *   2. identity resolution: messages/s (bench/identity.bench.ts, in its own process);
 *   3. delivery: deliveries/s of one worker and the ingest → platform lag (bench/deliver.bench.ts);
 *
 * with the peak RSS (VmHWM) of every process involved, the targets and pass/fail per target, and the
 * machine (cores, node, load average: other work on the machine moves every figure).
 *
 * About 2 minutes with the defaults, the build included. Knobs for longer runs:
 *   BENCH_INGEST_SECONDS (15)  BENCH_CONCURRENCY (8)  BENCH_BATCH (100)  BENCH_ROLES (split | all)
 *   BENCH_WORKER (after | during)  BENCH_DRAIN_SECONDS (60)  GEOIP (on | off)
 *   BENCH_IDENTITY_MESSAGES (40000)  BENCH_IDENTITY_CONCURRENCY (4)
 *   BENCH_DELIVER_EVENTS (20000)  BENCH_DELIVER_RATE (1000)  BENCH_DELIVER_SECONDS (10)  BENCH_TYPE
 *   BENCH_STRICT=1: exit 1 when a target is missed (a crashed benchmark always exits 1).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { benchDeliver, DeliverResult, deliverOptionsFromEnv } from './deliver.bench';
import type { IdentityResult } from './identity.bench';
import { benchIngest, IngestResult, ingestOptionsFromEnv } from './ingest.bench';
import { envNumber, RESULT_MARKER, rssMb, runMain } from './support';

const RESULTS = join(__dirname, 'results.json');
const RSS_TARGET_MB = 300;
const INGEST_RATIO_TARGET = 0.6;
const DELIVERIES_TARGET = 2000;

interface Target {
  figure: string;
  value: number | null;
  unit: string;
  target: string;
  pass: boolean | null;
}

interface ProcessFigure {
  benchmark: string;
  name: string;
  pid: number;
  peakRssMb: number;
  /** Service processes are held to the RSS target; the identity bench process is not one. */
  service: boolean;
}

const load = (): [number, number, number] =>
  loadavg().map((n) => Number(n.toFixed(2))) as [number, number, number];

async function machine() {
  const cpu = cpus();
  let mysql = 'unknown';
  let redis = 'unknown';
  try {
    const conn = await createConnection({
      uri: process.env.BENCH_DATABASE_URL_BASE ?? 'mysql://root@127.0.0.1:3306',
    });
    const [[row]] = (await conn.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    mysql = row.v;
    await conn.end();
  } catch {
    // reported as unknown; the benchmarks themselves will say what is wrong
  }
  try {
    const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: 1,
    });
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown';
    r.disconnect();
  } catch {
    // as above
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // Uncommitted changes make the figures those of a tree no commit has.
    if (
      execFileSync('git', ['status', '--porcelain', 'src', 'bench'], { encoding: 'utf8' }).trim()
    ) {
      commit += '-dirty';
    }
  } catch {
    // not a git checkout
  }
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    mysql,
    redis,
    commit,
    loadAverageAtStart: load(),
  };
}

/** The identity benchmark runs in its own process, so its peak RSS is not the driver's. */
function runIdentityInChild(messages: number, concurrency: number): Promise<IdentityResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'identity.bench.ts')],
      {
        cwd: join(__dirname, '..'),
        env: {
          ...process.env,
          BENCH_RESULT_LINE: '1',
          BENCH_MESSAGES: String(messages),
          BENCH_CONCURRENCY: String(concurrency),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_MARKER.length)));
      else reject(new Error(`identity benchmark exited with ${code}: ${out.slice(-2000)}`));
    });
  });
}

async function step<T>(
  name: string,
  errors: Record<string, string>,
  loads: Record<string, [number, number, number]>,
  run: () => Promise<T>,
): Promise<T | null> {
  loads[name] = load();
  process.stdout.write(`\n== ${name} (load average ${loads[name].join(' ')})\n`);
  const t0 = Date.now();
  try {
    const result = await run();
    process.stdout.write(`   done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return result;
  } catch (err) {
    errors[name] = err instanceof Error ? err.message : String(err);
    process.stderr.write(`   ${name} failed: ${errors[name]}\n`);
    return null;
  }
}

function targetsOf(
  ingest: IngestResult | null,
  identity: IdentityResult | null,
  deliver: DeliverResult | null,
  processes: ProcessFigure[],
): Target[] {
  const ingestRate = ingest?.durableEventsPerSec ?? null;
  const t: Target[] = [
    {
      figure: 'ingest: durable events/s ÷ MySQL INSERT IGNORE ceiling',
      value: ingest?.ratioToCeiling ?? null,
      unit: '',
      target: `≥ ${INGEST_RATIO_TARGET}`,
      pass: ingest ? ingest.ratioToCeiling >= INGEST_RATIO_TARGET : false,
    },
    {
      figure: 'identity resolution messages/s vs ingest events/s',
      value: identity?.messagesPerSecond ?? null,
      unit: '/s',
      target:
        ingestRate === null
          ? '≥ ingest rate'
          : `≥ ${ingestRate.toLocaleString('en-US')}/s (ingest)`,
      pass: identity && ingestRate !== null ? identity.messagesPerSecond >= ingestRate : false,
    },
    {
      figure: 'deliveries/s, one worker',
      value: deliver?.deliveriesPerSec ?? null,
      unit: '/s',
      target: `≥ ${DELIVERIES_TARGET}`,
      pass: deliver ? deliver.deliveriesPerSec >= DELIVERIES_TARGET : false,
    },
  ];
  for (const p of processes.filter((x) => x.service)) {
    t.push({
      figure: `peak RSS, ${p.benchmark} ${p.name} process`,
      value: p.peakRssMb,
      unit: ' MB',
      target: `≤ ${RSS_TARGET_MB} MB`,
      pass: p.peakRssMb > 0 && p.peakRssMb <= RSS_TARGET_MB,
    });
  }
  return t;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
    .map((l) => l.trimEnd())
    .join('\n');
}

function report(
  ingest: IngestResult | null,
  identity: IdentityResult | null,
  deliver: DeliverResult | null,
  processes: ProcessFigure[],
  targets: Target[],
): string {
  const fmt = (v: number | null | undefined, unit = '') =>
    v === null || v === undefined ? 'n/a' : `${v.toLocaleString('en-US')}${unit}`;
  const figures: string[][] = [['figure', 'value']];
  if (ingest) {
    figures.push(
      [
        `ingest (${ingest.roles}, GEOIP ${ingest.geoip})`,
        `${fmt(ingest.durableEventsPerSec)} events/s`,
      ],
      ['  latency per 100-message batch', `p50 ${ingest.p50Ms} ms, p99 ${ingest.p99Ms} ms`],
      ['  raw INSERT IGNORE ceiling', `${fmt(ingest.ceilingEventsPerSec)} rows/s`],
      ['  ratio to ceiling', String(ingest.ratioToCeiling)],
      ['  failed requests', fmt(ingest.errors)],
      [
        `  pipeline in the worker (${ingest.pipeline.ran})`,
        `${fmt(ingest.pipeline.eventsPerSec)} events/s${ingest.pipeline.drained ? '' : ' (not drained)'}`,
      ],
    );
  }
  if (identity) {
    figures.push(
      ['identity resolution', `${fmt(identity.messagesPerSecond)} messages/s`],
      ['  job of 500, p50 / p95', `${identity.jobMs.p50} / ${identity.jobMs.p95} ms`],
      [
        '  merges / conflicts / retried tx',
        `${identity.merges} / ${identity.conflicts} / ${identity.retriedTransactions}`,
      ],
    );
  }
  if (deliver) {
    figures.push(
      [`delivery (${deliver.type}, one worker)`, `${fmt(deliver.deliveriesPerSec)} deliveries/s`],
      [
        `  lag at ${deliver.lag.ratePerSec}/s, ingest → platform`,
        `p50 ${deliver.lag.p50Ms} ms, p95 ${deliver.lag.p95Ms} ms, max ${deliver.lag.maxMs} ms`,
      ],
      ['  delivery queue waiting, max', `${deliver.lag.queueWaitingMax} jobs`],
      ['  Track rows', JSON.stringify(deliver.tracks)],
    );
  }
  for (const p of processes) {
    figures.push([
      `peak RSS ${p.benchmark} ${p.name}${p.service ? '' : ' (bench process)'}`,
      `${p.peakRssMb} MB`,
    ]);
  }
  const verdicts: string[][] = [['target', 'value', 'wanted', 'result']];
  for (const t of targets) {
    verdicts.push([
      t.figure,
      fmt(t.value, t.unit),
      t.target,
      t.pass === null ? '-' : t.pass ? 'PASS' : 'FAIL',
    ]);
  }
  return `${table(figures)}\n\n${table(verdicts)}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = await machine();
  process.stdout.write(
    `npm run bench: ${info.cores} cores (${info.cpuModel}), node ${info.node}, MySQL ${info.mysql}, ` +
      `Redis ${info.redis}, load average ${info.loadAverageAtStart.join(' ')}\n`,
  );

  const ingestOptions = {
    ...ingestOptionsFromEnv(),
    seconds: envNumber('BENCH_INGEST_SECONDS', 15),
  };
  const identityOptions = {
    messages: envNumber('BENCH_IDENTITY_MESSAGES', 40_000),
    concurrency: envNumber('BENCH_IDENTITY_CONCURRENCY', 4),
  };
  const deliverOptions = {
    ...deliverOptionsFromEnv(),
    events: envNumber('BENCH_DELIVER_EVENTS', 20_000),
    rate: envNumber('BENCH_DELIVER_RATE', 1000),
    seconds: envNumber('BENCH_DELIVER_SECONDS', 10),
  };

  const errors: Record<string, string> = {};
  const loads: Record<string, [number, number, number]> = {};
  const ingest = await step('ingest', errors, loads, () => benchIngest(ingestOptions));
  const identity = await step('identity', errors, loads, () =>
    runIdentityInChild(identityOptions.messages, identityOptions.concurrency),
  );
  const deliver = await step('deliver', errors, loads, () =>
    benchDeliver(deliverOptions, (line) => process.stdout.write(`   ${line}\n`)),
  );

  const processes: ProcessFigure[] = [
    ...(ingest?.processes ?? []).map((p) => ({ benchmark: 'ingest', ...p, service: true })),
    ...(identity?.processes ?? []).map((p) => ({ benchmark: 'identity', ...p, service: false })),
    ...(deliver?.processes ?? []).map((p) => ({ benchmark: 'deliver', ...p, service: true })),
  ];
  const targets = targetsOf(ingest, identity, deliver, processes);
  const pass = Object.keys(errors).length === 0 && targets.every((t) => t.pass !== false);
  const results = {
    date: new Date(started).toISOString(),
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: {
      ...info,
      loadAverageBefore: loads,
      loadAverageAtEnd: load(),
      benchDriverPeakRssMb: await rssMb(process.pid),
    },
    options: { ingest: ingestOptions, identity: identityOptions, deliver: deliverOptions },
    targets,
    pass,
    processes,
    ingest,
    identity,
    deliver,
    ...(Object.keys(errors).length ? { errors } : {}),
  };
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

  process.stdout.write(`\n${report(ingest, identity, deliver, processes, targets)}\n\n`);
  process.stdout.write(
    `load average: ${info.loadAverageAtStart.join(' ')} at start, ${results.machine.loadAverageAtEnd.join(' ')} at the end ` +
      `(1/5/15 min, ${info.cores} cores); ${results.durationSec} s; written to bench/results.json\n`,
  );
  if (Object.keys(errors).length) {
    throw new Error(`benchmarks failed: ${Object.keys(errors).join(', ')}`);
  }
  if (!pass && process.env.BENCH_STRICT === '1') throw new Error('targets missed');
}

if (require.main === module) runMain(main);
