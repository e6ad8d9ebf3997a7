import { randomBytes } from 'node:crypto';
import { FakePlatform } from './support/fake-platform';
import { freePort } from './support/redis-server';
import { spawnServer, ServerProcess } from './support/server-process';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

/** A worker (no HTTP API) still exposes its delivery metrics and health on METRICS_PORT. */
describe('worker /metrics', () => {
  const secretsKey = randomBytes(32).toString('base64');
  let t: TestApp;
  let fake: FakePlatform;
  let worker: ServerProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    fake = await FakePlatform.start();
    t = await startTestApp({ role: 'api', secretsKey });
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    worker = await spawnServer(t.config, {
      ROLE: 'worker',
      METRICS_PORT: String(port),
      SECRETS_KEY: secretsKey,
    });
  });
  afterAll(async () => {
    worker?.proc.kill('SIGTERM');
    await worker?.exited;
    await t?.close();
    await fake?.close();
  });

  it('counts the deliveries the worker made and answers /health', async () => {
    const health = await eventually(
      async () => {
        const res = await fetch(`${metricsUrl}/health`);
        return res.ok ? res : null;
      },
      { timeoutMs: 60_000, what: 'the worker metrics server' },
    );
    expect(await health.json()).toEqual({ status: 'ok', role: 'worker' });

    const s = await t.createSource();
    const d = await t.admin.post('/admin/destinations', {
      sourceId: s.id,
      type: 'webhook',
      name: 'hook',
      settings: { url: `${fake.url}/hook`, secret: 'worker-metrics' },
    });
    expect(d.status).toBe(201);
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(s.writeKey))
      .send({
        batch: [1, 2, 3].map((i) => ({
          type: 'track',
          userId: 'wm',
          event: 'E',
          messageId: `wm-${i}`,
        })),
      });
    expect(res.body.accepted).toBe(3);

    const text = await eventually(
      async () => {
        const body = await (await fetch(`${metricsUrl}/metrics`)).text();
        return /tracking_deliveries_total\{destination_type="webhook",status="succeeded"\} 3/.test(
          body,
        )
          ? body
          : null;
      },
      { timeoutMs: 60_000, what: 'delivery metrics from the worker' },
    );
    expect(text).toMatch(
      /tracking_delivery_duration_seconds_count\{destination_type="webhook"\} 3/,
    );
    expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404);
  });
});
