import { ChildProcess, spawn } from 'node:child_process';
import type { AppConfig } from '../../src/config/configuration';
import { ADMIN_TOKEN } from './test-app';
import { freePort } from './redis-server';

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The service as a real child process (ts-node), for tests that kill or signal it. */
export async function spawnServer(
  config: AppConfig,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      REDIS_PREFIX: config.redisPrefix,
      ADMIN_TOKEN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SWEEP_INTERVAL_MS: String(config.sweepIntervalMs),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  if (env.ROLE !== 'worker') {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/health`)).ok) break;
      } catch {
        // starting
      }
      if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error('server did not become healthy');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { proc, url, exited };
}
