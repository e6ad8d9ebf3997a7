import { databaseName } from '../src/common/database';
import { TcpProxy } from './support/tcp-proxy';
import { basic, startTestApp, TestApp, testConfig } from './support/test-app';

/** MySQL unreachable: 503 (never 200 for an unstored event), and recovery without a restart. */
describe('ingestion while MySQL is down', () => {
  const proxy = new TcpProxy('127.0.0.1', 3306);
  let t: TestApp;

  beforeAll(async () => {
    const port = await proxy.open();
    const base = testConfig();
    t = await startTestApp({
      ...base,
      databaseUrl: `mysql://root@127.0.0.1:${port}/${databaseName(base.databaseUrl)}`,
    });
  });
  afterAll(async () => {
    await proxy.open(proxy.port).catch(() => undefined);
    await t.close();
    await proxy.cut();
  });

  it('answers 503 while the database is away and 200 once it is back', async () => {
    const source = await t.createSource();
    const send = (messageId: string) =>
      t
        .http()
        .post('/v1/batch')
        .set('Authorization', basic(source.writeKey))
        .send({ batch: [{ type: 'track', userId: 'db', event: 'E', messageId }] });
    expect((await send('before')).status).toBe(200);

    await proxy.cut();
    // Cached write keys keep authentication off the database; the insert itself must fail loudly.
    const during = await send('during');
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const health = await t.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.message).toBe('MySQL unreachable');

    await proxy.open(proxy.port);
    let after = await send('during');
    for (let i = 0; i < 20 && after.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await send('during');
    }
    expect(after.status).toBe(200);
    // The message answered 503 was not stored then; the retry stores it exactly once.
    expect(after.body).toMatchObject({ accepted: 1, duplicates: 0 });
    const list = await t.admin.get(`/admin/events?sourceId=${source.id}`);
    expect(list.body.items.map((e: { messageId: string }) => e.messageId).sort()).toEqual([
      'before',
      'during',
    ]);
  });
});
