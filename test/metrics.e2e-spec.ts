import { basic, startTestApp, TestApp } from './support/test-app';

describe('/metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const value = (text: string, metric: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(metric));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('counts ingested, duplicate and rejected messages and reports the queues', async () => {
    const before = (await t.http().get('/metrics')).text;
    const source = await t.createSource();
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(source.writeKey))
      .send({
        batch: [
          { type: 'track', userId: 'm', event: 'A', messageId: 'm-1' },
          { type: 'track', userId: 'm', event: 'A', messageId: 'm-1' },
          { type: 'track', userId: 'm' },
        ],
      });
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 1 });
    const after = await t.http().get('/metrics');
    expect(after.status).toBe(200);
    expect(after.headers['content-type']).toMatch(/text\/plain/);
    const delta = (m: string) => value(after.text, m) - value(before, m);
    expect(delta('tracking_events_ingested_total{channel="segment"}')).toBe(1);
    expect(delta('tracking_events_duplicates_total{channel="segment"}')).toBe(1);
    expect(delta('tracking_events_rejected_total{channel="segment"}')).toBe(1);
    expect(after.text).toMatch(/tracking_queue_jobs\{queue="pipeline",state="waiting"\} \d+/);
    expect(after.text).toMatch(/tracking_queue_lag_seconds\{queue="delivery"\} \d+/);
    expect(after.text).toContain('process_resident_memory_bytes');
  });
});
