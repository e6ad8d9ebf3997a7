import { basic, startTestApp, TestApp } from './support/test-app';

describe('admin API: sources, events, docs, health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses a missing or wrong bearer token', async () => {
    const none = await t.http().get('/admin/sources');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    const wrong = await t.http().get('/admin/sources').set('Authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
  });

  it('creates a source, shows the write key once and stores only its hash', async () => {
    const res = await t.admin.post('/admin/sources', {
      name: 'Shop',
      allowedOrigins: ['https://shop.example'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Shop', allowedOrigins: ['https://shop.example'] });
    expect(res.body.writeKey).toMatch(/^wk_/);
    expect(res.body.publicKey).toMatch(/^pk_/);

    const one = await t.admin.get(`/admin/sources/${res.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('writeKey');
    expect(JSON.stringify(one.body)).not.toContain(res.body.writeKey);
    const list = await t.admin.get('/admin/sources');
    expect(list.body.items.map((s: { id: string }) => s.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain(res.body.writeKey);
    expect((await t.admin.get('/admin/sources/00000000-0000-7000-8000-000000000000')).status).toBe(
      404,
    );
  });

  it.each([
    [{}, /name/],
    [{ name: 'x', allowedOrigins: ['not an origin'] }, /allowedOrigins/],
    [{ name: 'x', extra: 1 }, /extra/],
  ])('answers 400 naming the field for %p', async (body, message) => {
    const res = await t.admin.post('/admin/sources', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  describe('events', () => {
    let source: { id: string; writeKey: string };
    let ids: string[];
    beforeAll(async () => {
      source = await t.createSource({ name: 'Events' });
      const batch = Array.from({ length: 7 }, (_, i) => ({
        type: i % 2 ? 'track' : 'identify',
        userId: i < 4 ? 'alice' : 'bob',
        anonymousId: `anon-${i}`,
        event: i % 2 ? `Event ${i}` : undefined,
        messageId: `ev-${i}`,
        timestamp: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
      }));
      for (const m of batch) {
        const res = await t
          .http()
          .post('/v1/batch')
          .set('Authorization', basic(source.writeKey))
          .send({ batch: [m] });
        expect(res.body.accepted).toBe(1);
      }
      ids = (await t.admin.get(`/admin/events?sourceId=${source.id}&limit=500`)).body.items.map(
        (e: { id: string }) => e.id,
      );
    });

    it('lists newest first in the admin event shape', async () => {
      expect(ids).toHaveLength(7);
      const res = await t.admin.get(`/admin/events?sourceId=${source.id}`);
      expect(res.body.items.map((e: { messageId: string }) => e.messageId)).toEqual([
        'ev-6',
        'ev-5',
        'ev-4',
        'ev-3',
        'ev-2',
        'ev-1',
        'ev-0',
      ]);
      expect(Object.keys(res.body.items[0]).sort()).toEqual(
        [
          'accountId',
          'anonymousId',
          'bot',
          'context',
          'enrichment',
          'event',
          'groupId',
          'id',
          'integrations',
          'messageId',
          'name',
          'originalTimestamp',
          'previousId',
          'profileId',
          'properties',
          'receivedAt',
          'sentAt',
          'sourceId',
          'timestamp',
          'traits',
          'type',
          'userId',
        ].sort(),
      );
      expect(res.body.nextCursor).toBeNull();
    });

    it('pages with a cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await t.admin.get(
          `/admin/events?sourceId=${source.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((e: { id: string }) => e.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids);
    });

    it.each([
      ['type=track', 3],
      ['event=Event%203', 1],
      ['userId=alice', 4],
      ['anonymousId=anon-5', 1],
      ['from=2026-11-03T00:00:00Z&to=2026-11-05T00:00:00Z', 3],
    ])('filters by %s', async (filter, n) => {
      const res = await t.admin.get(`/admin/events?sourceId=${source.id}&${filter}`);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(n);
    });

    it.each([
      ['limit=0', /limit/],
      ['limit=501', /limit/],
      ['from=yesterday', /from/],
      ['type=click', /type/],
      ['cursor=bogus', /cursor/],
    ])('answers 400 for %s', async (q, message) => {
      const res = await t.admin.get(`/admin/events?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    });

    it('returns one event, 404 for an unknown one', async () => {
      const res = await t.admin.get(`/admin/events/${ids[0]}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: ids[0], messageId: 'ev-6', sourceId: source.id });
      expect((await t.admin.get('/admin/events/nope')).status).toBe(404);
    });
  });

  it('serves the OpenAPI document with every public route', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/v1/batch',
      '/v1/track',
      '/v1/identify',
      '/v1/page',
      '/v1/screen',
      '/v1/group',
      '/v1/alias',
      '/admin/sources',
      '/admin/events',
      '/admin/events/{id}',
      '/admin/rejected-events',
      '/health',
    ]) {
      expect(paths).toContain(p);
    }
    expect(res.body.components.securitySchemes).toHaveProperty('basic');
    expect((await t.http().get('/docs')).status).toBe(200);
  });

  it('reports health', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { mysql: 'up', redis: 'up' } });
  });
});

describe('admin API without ADMIN_TOKEN', () => {
  it('answers 503 saying so, never open', async () => {
    const t = await startTestApp({ adminToken: undefined });
    try {
      const res = await t.http().get('/admin/sources').set('Authorization', 'Bearer anything');
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/ADMIN_TOKEN/);
    } finally {
      await t.close();
    }
  });
});
