import { createConnection } from 'mysql2/promise';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

describe('Segment ingestion (/v1)', () => {
  let t: TestApp;
  let source: { id: string; writeKey: string; publicKey: string };
  let db: Awaited<ReturnType<typeof createConnection>>;

  beforeAll(async () => {
    t = await startTestApp();
    source = await t.createSource({ name: 'Website' });
    db = await createConnection({ uri: t.config.databaseUrl, timezone: 'Z' });
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const post = (path: string, body: unknown, key = source.writeKey) =>
    t
      .http()
      .post(path)
      .set('Authorization', basic(key))
      .send(body as object);

  const rows = async (sql: string, params: unknown[] = []) =>
    (await db.query(sql, params))[0] as Array<Record<string, unknown>>;

  describe('authentication', () => {
    it('accepts the write key as the Basic username with an empty password', async () => {
      const res = await post('/v1/track', { userId: 'u1', event: 'Auth Basic' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, accepted: 1, duplicates: 0, rejected: [] });
    });

    it('accepts writeKey in the body and never stores it', async () => {
      const res = await t.http().post('/v1/track').send({
        writeKey: source.writeKey,
        userId: 'u1',
        event: 'Auth Body',
        messageId: 'wk-body',
      });
      expect(res.status).toBe(200);
      const [row] = await rows('SELECT payload FROM events WHERE message_id = ?', ['wk-body']);
      expect(
        String(typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload)),
      ).not.toContain(source.writeKey);
    });

    it('answers 401 with WWW-Authenticate for a missing or unknown key', async () => {
      const missing = await t
        .http()
        .post('/v1/batch')
        .send({ batch: [{ type: 'track' }] });
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toMatch(/^Basic/);
      expect(missing.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(missing.body.message).toMatch(/write key/);
      const unknown = await post('/v1/batch', { batch: [{ type: 'track' }] }, 'wk_nope');
      expect(unknown.status).toBe(401);
      expect(unknown.body.message).toBe('unknown write key');
    });
  });

  describe('bodies', () => {
    it('reads text/plain bodies holding JSON (sendBeacon)', async () => {
      const res = await t
        .http()
        .post('/v1/batch')
        .set('Authorization', basic(source.writeKey))
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ batch: [{ type: 'page', anonymousId: 'a-beacon', name: 'Home' }] }));
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
    });

    it.each([
      ['not JSON', '{"batch": [', 'body is not valid JSON'],
      ['no batch array', '{"batch": {}}', 'batch must be an array of messages'],
      ['an empty batch', '{"batch": []}', 'batch must not be empty'],
      ['a JSON array', '[1]', 'body must be a JSON object'],
      ['an empty body', '', 'body is empty: expected a JSON object'],
      [
        'a batch context that is not an object',
        '{"batch":[{}],"context":5}',
        'context must be an object',
      ],
    ])('answers 400 for %s', async (_what, body, message) => {
      const res = await t
        .http()
        .post('/v1/batch')
        .set('Authorization', basic(source.writeKey))
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
    });

    it('answers 413 for a batch over 500 KB, naming the limit', async () => {
      const big = 'x'.repeat(10_000);
      const batch = Array.from({ length: 60 }, (_, i) => ({
        type: 'track',
        userId: 'u',
        event: 'Big',
        messageId: `big-${i}`,
        properties: { big },
      }));
      const res = await post('/v1/batch', { batch });
      expect(res.status).toBe(413);
      expect(res.body.message).toMatch(/500 KB/);
      expect((await rows('SELECT id FROM events WHERE message_id = ?', ['big-0'])).length).toBe(0);
    });

    it('answers 413 for a single message over 32 KB', async () => {
      const res = await post('/v1/track', {
        userId: 'u',
        event: 'Big',
        properties: { s: 'x'.repeat(33_000) },
      });
      expect(res.status).toBe(413);
      expect(res.body.message).toMatch(/32 KB/);
    });

    it('rejects a message over 32 KB inside a batch without losing its neighbours', async () => {
      const res = await post('/v1/batch', {
        batch: [
          { type: 'track', userId: 'u', event: 'Small', messageId: 'nb-1' },
          {
            type: 'track',
            userId: 'u',
            event: 'Big',
            messageId: 'nb-2',
            properties: { s: 'x'.repeat(33_000) },
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        accepted: 1,
        rejected: [{ index: 1, messageId: 'nb-2', errors: ['message exceeds the 32 KB limit'] }],
      });
    });

    it('refuses more than 2,500 messages', async () => {
      const batch = Array.from({ length: 2501 }, () => ({
        type: 'track',
        userId: 'u',
        event: 'E',
      }));
      const res = await post('/v1/batch', { batch });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('batch holds 2501 messages; at most 2500 are allowed');
    });
  });

  describe('messages', () => {
    it('stores each single-message route with its implied type', async () => {
      const calls: Array<[string, object]> = [
        ['track', { userId: 'r', event: 'Clicked', properties: { a: 1 } }],
        ['identify', { userId: 'r', traits: { email: 'r@example.com' } }],
        ['page', { anonymousId: 'ar', name: 'Pricing', properties: { url: 'https://x.test/p' } }],
        ['screen', { userId: 'r', name: 'Home' }],
        ['group', { userId: 'r', groupId: 'g1', traits: { name: 'Acme' } }],
        ['alias', { userId: 'r', previousId: 'ar' }],
      ];
      for (const [type, body] of calls) {
        const res = await post(`/v1/${type}`, { ...body, messageId: `route-${type}` });
        expect(res.status).toBe(200);
        const [row] = await rows('SELECT type FROM events WHERE message_id = ?', [`route-${type}`]);
        expect(row.type).toBe(type);
      }
    });

    it('answers 400 naming the field for a bad single message, and keeps it', async () => {
      const res = await post('/v1/alias', { userId: 'u', messageId: 'bad-alias' });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('previousId is required for alias');
      const kept = await rows('SELECT errors FROM rejected_events WHERE message_id = ?', [
        'bad-alias',
      ]);
      expect(kept.length).toBe(1);
    });

    it('accepts the good messages of a batch and keeps the bad ones with their reasons', async () => {
      const res = await post('/v1/batch', {
        batch: [
          { type: 'identify', userId: 'p1', traits: { name: 'P' }, messageId: 'pa-1' },
          { type: 'track', userId: 'p1', messageId: 'pa-2' },
          'not an object',
          {
            type: 'track',
            anonymousId: 'x',
            event: 'E',
            timestamp: 'yesterday',
            messageId: 'pa-4',
          },
          { type: 'track', userId: 'p1', event: 'Ok', messageId: 'pa-5' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        accepted: 2,
        duplicates: 0,
        rejected: [
          { index: 1, messageId: 'pa-2', errors: ['event is required for track'] },
          { index: 2, messageId: null, errors: ['message must be a JSON object'] },
          { index: 3, messageId: 'pa-4', errors: ['timestamp is not an ISO 8601 time'] },
        ],
      });
      const list = await t.admin.get(`/admin/rejected-events?sourceId=${source.id}`);
      expect(list.status).toBe(200);
      const mine = list.body.items.filter(
        (r: { messageId: string | null; payload: unknown }) =>
          ['pa-2', 'pa-4'].includes(r.messageId as string) || r.payload === 'not an object',
      );
      expect(mine).toHaveLength(3);
      expect(mine.find((r: { messageId: string }) => r.messageId === 'pa-4')).toMatchObject({
        index: 3,
        errors: ['timestamp is not an ISO 8601 time'],
        payload: {
          type: 'track',
          anonymousId: 'x',
          event: 'E',
          timestamp: 'yesterday',
          messageId: 'pa-4',
        },
      });
    });

    it('corrects client clock skew and keeps the original timestamp', async () => {
      // The client's clock runs a day ahead; the event happened 10 s before it sent the batch.
      const tomorrow = Date.now() + 86_400_000;
      const res = await post('/v1/batch', {
        sentAt: new Date(tomorrow).toISOString(),
        batch: [
          {
            type: 'track',
            userId: 'skew',
            event: 'Skewed',
            messageId: 'skew-1',
            timestamp: new Date(tomorrow - 10_000).toISOString(),
          },
        ],
      });
      expect(res.status).toBe(200);
      const ev = (await t.admin.get('/admin/events?userId=skew')).body.items[0];
      const received = Date.parse(ev.receivedAt);
      expect(Date.parse(ev.timestamp)).toBe(received - 10_000);
      expect(ev.originalTimestamp).toBe(new Date(tomorrow - 10_000).toISOString());
      expect(ev.sentAt).toBe(new Date(tomorrow).toISOString());
    });

    it('uses receivedAt when the client sent no time at all', async () => {
      await post('/v1/track', { userId: 'notime', event: 'E' });
      const ev = (await t.admin.get('/admin/events?userId=notime')).body.items[0];
      expect(ev.timestamp).toBe(ev.receivedAt);
      expect(ev.originalTimestamp).toBeNull();
    });

    it('merges the batch context under each message context and fills ip and user agent', async () => {
      const res = await t
        .http()
        .post('/v1/batch')
        .set('Authorization', basic(source.writeKey))
        .set('User-Agent', 'test-agent/1.0')
        .send({
          context: { library: { name: 'lib', version: '1' }, locale: 'en-US' },
          batch: [
            {
              type: 'track',
              userId: 'ctx',
              event: 'A',
              messageId: 'ctx-1',
              context: { locale: 'da-DK' },
            },
            {
              type: 'track',
              userId: 'ctx',
              event: 'B',
              messageId: 'ctx-2',
              context: { ip: '24.5.68.47', userAgent: 'Caller/2.0' },
            },
          ],
        });
      expect(res.status).toBe(200);
      const items = (await t.admin.get('/admin/events?userId=ctx')).body.items;
      const a = items.find((e: { messageId: string }) => e.messageId === 'ctx-1');
      const b = items.find((e: { messageId: string }) => e.messageId === 'ctx-2');
      expect(a.context).toMatchObject({
        library: { name: 'lib', version: '1' },
        locale: 'da-DK',
        ip: '127.0.0.1',
        userAgent: 'test-agent/1.0',
      });
      // What the caller sent is never overwritten.
      expect(b.context).toMatchObject({
        ip: '24.5.68.47',
        userAgent: 'Caller/2.0',
        locale: 'en-US',
      });
    });
  });

  describe('idempotency', () => {
    it('stores a repeated messageId once and counts the repeat as a duplicate', async () => {
      const msg = { type: 'track', userId: 'dup', event: 'Once', messageId: 'dup-1' };
      const first = await post('/v1/batch', { batch: [msg] });
      const second = await post('/v1/batch', { batch: [msg, { ...msg, messageId: 'dup-2' }] });
      expect(first.body).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(second.body).toMatchObject({ accepted: 1, duplicates: 1 });
      const inBatch = await post('/v1/batch', {
        batch: [
          { ...msg, messageId: 'dup-3' },
          { ...msg, messageId: 'dup-3' },
        ],
      });
      expect(inBatch.body).toMatchObject({ accepted: 1, duplicates: 1 });
      const stored = await rows(
        "SELECT COUNT(*) AS n FROM events WHERE message_id IN ('dup-1','dup-2','dup-3')",
      );
      expect(Number(stored[0].n)).toBe(3);
    });

    it('stores one event when the same message arrives concurrently', async () => {
      const msg = { type: 'track', userId: 'race', event: 'Race', messageId: 'race-1' };
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => post('/v1/batch', { batch: [msg] })),
      );
      expect(answers.every((r) => r.status === 200)).toBe(true);
      expect(answers.reduce((n, r) => n + r.body.accepted, 0)).toBe(1);
      expect(answers.reduce((n, r) => n + r.body.duplicates, 0)).toBe(19);
      const stored = await rows('SELECT COUNT(*) AS n FROM events WHERE message_id = ?', [
        'race-1',
      ]);
      expect(Number(stored[0].n)).toBe(1);
    });

    it('scopes messageIds to their source', async () => {
      const other = await t.createSource({ name: 'Other' });
      const msg = { type: 'track', userId: 'scope', event: 'E', messageId: 'scope-1' };
      expect((await post('/v1/batch', { batch: [msg] })).body.accepted).toBe(1);
      expect((await post('/v1/batch', { batch: [msg] }, other.writeKey)).body.accepted).toBe(1);
    });
  });

  describe('pipeline hand-off', () => {
    it('marks stored events dispatched once their job is queued', async () => {
      await post('/v1/track', { userId: 'disp', event: 'E', messageId: 'disp-1' });
      await eventually(async () => {
        const [row] = await rows('SELECT dispatched_at FROM events WHERE message_id = ?', [
          'disp-1',
        ]);
        return row.dispatched_at !== null;
      });
    });
  });
});
