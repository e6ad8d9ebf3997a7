import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dropDatabase } from '../src/common/database';

export const BENCH_ADMIN_TOKEN = 'bench-admin-token';

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

export interface BenchServer {
  url: string;
  databaseUrl: string;
  redisPrefix: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Starts the service as its own process (as production runs it), on a fresh bench database.
 * Uses the compiled dist/ (the bench scripts build it first), else ts-node.
 */
export async function startServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const tag = randomBytes(4).toString('hex');
  const base = process.env.BENCH_DATABASE_URL_BASE ?? 'mysql://root@127.0.0.1:3306';
  const databaseUrl = `${base}/tracking_bench_${tag}`;
  const redisPrefix = `bench_${tag}`;
  const port = await freePort();
  const { existsSync } = await import('node:fs');
  const args = existsSync('dist/main.js')
    ? ['dist/main.js']
    : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
  const proc = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: redisPrefix,
      ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      ROLE: 'all',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
    if (Date.now() > deadline) throw new Error('server did not become healthy');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    databaseUrl,
    redisPrefix,
    proc,
    stop: async () => {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
          setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
        });
      }
      await dropDatabase(databaseUrl);
    },
  };
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

/** Peak resident memory of a process, in MB, from /proc (Linux). */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
