import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { databaseName, dropDatabase } from '../../src/common/database';
import { AppConfig, loadConfig } from '../../src/config/configuration';
import { createHttpApp } from '../../src/http-app';

export const ADMIN_TOKEN = 'test-admin-token';

/** A database and a Redis key prefix of the test file's own, so test files never see each other. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const base = loadConfig({
    DATABASE_URL: process.env.TEST_DATABASE_URL_BASE
      ? `${process.env.TEST_DATABASE_URL_BASE}/tracking_test_${tag}`
      : `mysql://root@127.0.0.1:3306/tracking_test_${tag}`,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `test_${tag}`,
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWEEP_INTERVAL_MS: '200',
  });
  const config = { ...base, ...overrides };
  // Never point a test at a database that is not a test database: it is dropped afterwards.
  if (!databaseName(config.databaseUrl).includes('test')) {
    throw new Error(`refusing to run tests on ${databaseName(config.databaseUrl)}`);
  }
  return config;
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** Base URL of the listening server, for real HTTP clients. */
  url: string;
  http: () => ReturnType<typeof request>;
  admin: {
    get: (path: string) => request.Test;
    post: (path: string, body?: object) => request.Test;
    patch: (path: string, body?: object) => request.Test;
    delete: (path: string) => request.Test;
  };
  createSource: (body?: object) => Promise<{ id: string; writeKey: string; publicKey: string }>;
  close: (opts?: { keepDatabase?: boolean }) => Promise<void>;
}

/** Boots the whole service (HTTP + worker unless the role says otherwise) on a random port. */
export async function startTestApp(overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  return startAppWithConfig(config);
}

export async function startAppWithConfig(config: AppConfig): Promise<TestApp> {
  const app = await createHttpApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const auth = (t: request.Test) => t.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const http = () => request(url);
  return {
    app,
    config,
    url,
    http,
    admin: {
      get: (p) => auth(http().get(p)),
      post: (p, body) => auth(http().post(p)).send(body ?? {}),
      patch: (p, body) => auth(http().patch(p)).send(body ?? {}),
      delete: (p) => auth(http().delete(p)),
    },
    createSource: async (body = { name: 'test source' }) => {
      const res = await auth(http().post('/admin/sources')).send(body);
      if (res.status !== 201) throw new Error(`create source: ${res.status} ${res.text}`);
      return res.body as { id: string; writeKey: string; publicKey: string };
    },
    close: async (opts = {}) => {
      await app.close();
      if (!opts.keepDatabase) await dropTestState(config);
    },
  };
}

/** A worker-only process (no HTTP) on the same database and Redis, for scale-out tests. */
export async function startWorker(config: AppConfig): Promise<{ close: () => Promise<void> }> {
  const ctx = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, role: 'worker' }),
    { logger: false },
  );
  await ctx.init();
  return { close: () => ctx.close() };
}

export async function dropTestState(config: AppConfig): Promise<void> {
  await dropDatabase(config.databaseUrl);
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${config.redisPrefix}:*`,
        'COUNT',
        1000,
      );
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Redis may be the thing a fault test stopped; its keys die with the test prefix anyway.
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` returns a truthy value (async effects: the queue, the worker). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const basic = (writeKey: string): string =>
  `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
