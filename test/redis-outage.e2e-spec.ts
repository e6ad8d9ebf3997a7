import { createConnection } from 'mysql2/promise';
import { LocalRedis, freePort } from './support/redis-server';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

/** Invariant 1: Redis down never fails ingestion, and what was acknowledged reaches the queue later. */
describe('ingestion while Redis is down', () => {
  let redis: LocalRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = new LocalRedis(await freePort());
    await redis.start();
    t = await startTestApp({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('acknowledges, keeps the rows undispatched, and the sweeper enqueues them when Redis is back', async () => {
    const source = await t.createSource();
    await redis.stop();

    const batch = Array.from({ length: 50 }, (_, i) => ({
      type: 'track',
      userId: 'outage',
      event: 'During Outage',
      messageId: `out-${i}`,
    }));
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(source.writeKey))
      .send({ batch });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(50);

    const health = await t.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      statusCode: 503,
      message: 'Redis unreachable',
      checks: { redis: 'down' },
    });

    const db = await createConnection({ uri: t.config.databaseUrl });
    try {
      const undispatched = async () =>
        Number(
          (
            (
              await db.query('SELECT COUNT(*) AS n FROM events WHERE dispatched_at IS NULL')
            )[0] as Array<{
              n: number;
            }>
          )[0].n,
        );
      expect(await undispatched()).toBe(50);

      await redis.start();
      await eventually(async () => (await undispatched()) === 0, {
        timeoutMs: 30_000,
        what: 'sweeper',
      });
      expect((await t.http().get('/health')).status).toBe(200);
    } finally {
      await db.end();
    }
  });
});
