import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { dropDatabase } from '../src/common/database';

export const BENCH_ADMIN_TOKEN = 'bench-admin-token';

/**
 * The V8 heap flags `npm run start:prod` runs the service with (they bound its memory), so the
 * benchmarks measure the process as production runs it.
 */
export function productionNodeFlags(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('../package.json') as { scripts: Record<string, string> };
  return pkg.scripts['start:prod'].match(/--max-[a-z-]+=\d+/g) ?? [];
}

const ROOT = join(__dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** One service process of a bench deployment, named for the results (`api`, `worker`, `all`). */
export interface ServiceProcess {
  name: string;
  proc: ChildProcess;
}

export interface BenchServer {
  url: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** The HTTP process (ROLE=all unless `env.ROLE` says otherwise). */
  proc: ChildProcess;
  /** Every process started for this deployment: the HTTP one first, then workers. */
  processes: ServiceProcess[];
  /** Starts a ROLE=worker process on the same database and Redis prefix (no HTTP server). */
  startWorker: (env?: Record<string, string>) => ChildProcess;
  /** Peak RSS (VmHWM) of each process so far; read it before `stop()`. */
  peakRss: () => Promise<Array<{ name: string; pid: number; peakRssMb: number }>>;
  stop: () => Promise<void>;
}

/** Newest modification time under a directory (ms), to tell whether dist/ was built from src/. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let warnedStale = false;

/**
 * The command that runs the service: the compiled dist/ as production runs it (`npm run bench` and
 * `bench:ingest` build it first), else ts-node, whose compiler adds its own memory to the process.
 * A dist/ older than src/ would bench old code, so it is passed over.
 */
function serviceArgs(): string[] {
  const main = join(ROOT, 'dist/main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src'))) return [main];
  if (existsSync(main) && !warnedStale) {
    warnedStale = true;
    process.stderr.write(
      'dist/ is older than src/: running the service with ts-node (`npx nest build` first for production-like memory figures)\n',
    );
  }
  return ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/main.ts')];
}

function spawnService(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...productionNodeFlags(), ...serviceArgs()], {
    cwd: ROOT,
    env: {
      ...process.env,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      // Node flags for the service processes only (e.g. --max-old-space-size), not the bench driver.
      ...(process.env.BENCH_SERVICE_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }
        : {}),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
  });
}

/**
 * Starts the service as its own process (as production runs it), on a fresh bench database and
 * Redis prefix, both removed by `stop()`. `env` overrides the defaults (ROLE, GEOIP, SECRETS_KEY...).
 */
export async function startServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const tag = randomBytes(4).toString('hex');
  const base = process.env.BENCH_DATABASE_URL_BASE ?? 'mysql://root@127.0.0.1:3306';
  const databaseUrl = `${base}/tracking_bench_${tag}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `bench_${tag}`;
  const port = await freePort();
  const shared = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  };
  const proc = spawnService({ ROLE: 'all', ...shared, PORT: String(port) });
  const processes: ServiceProcess[] = [{ name: env.ROLE ?? 'all', proc }];
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    if (Date.now() > deadline) {
      await stopProcess(proc);
      throw new Error('server did not become healthy');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    databaseUrl,
    redisUrl,
    redisPrefix,
    proc,
    processes,
    startWorker: (extra = {}) => {
      const worker = spawnService({ ...shared, ...extra, ROLE: 'worker' });
      const n = processes.filter((p) => p.name.startsWith('worker')).length;
      processes.push({ name: n === 0 ? 'worker' : `worker${n + 1}`, proc: worker });
      return worker;
    },
    peakRss: async () =>
      Promise.all(
        processes.map(async (p) => ({
          name: p.name,
          pid: p.proc.pid ?? 0,
          peakRssMb: p.proc.pid ? await rssMb(p.proc.pid) : 0,
        })),
      ),
    stop: async () => {
      // Workers first, so nothing is left consuming while the HTTP process drains.
      for (const p of [...processes].reverse()) await stopProcess(p.proc);
      await dropDatabase(databaseUrl);
      await clearRedisPrefix(redisUrl, redisPrefix);
    },
  };
}

/** Deletes every key under a bench Redis prefix (queues, rate-limit counters). */
export async function clearRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function createSource(
  url: string,
): Promise<{ id: string; writeKey: string; publicKey: string }> {
  const res = await fetch(`${url}/admin/sources`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`create source: ${res.status}`);
  return (await res.json()) as { id: string; writeKey: string; publicKey: string };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Peak resident memory of a process, in MB, from /proc (Linux); 0 where /proc has no answer. */
export async function rssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** A desktop Chrome user agent: the bot filter lets it through, so events reach the pipeline. */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** Env number with a default; rejects junk so a typo in a knob does not silently bench nothing. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number (got "${raw}")`);
  return n;
}

/** Runs a bench module's entry point when it is the script Node was started with. */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Starts the result line of a bench run as its own process by `npm run bench` (JSON follows). */
export const RESULT_MARKER = 'BENCH_RESULT ';
