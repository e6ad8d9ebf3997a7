import { basic, eventually, startTestApp, TestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('stores a batch and dispatches it', async () => {
    const s = await t.createSource();
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(s.writeKey))
      .send({ batch: [{ type: 'track', event: 'A', userId: 'u' }] });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    await eventually(async () => {
      const r = await t.admin.get('/admin/events');
      return r.body.items.length === 1;
    });
  });
});
