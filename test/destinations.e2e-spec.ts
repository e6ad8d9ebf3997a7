import { getQueueToken } from '@nestjs/bull';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { FanOutDeliveriesCommand } from '../src/destinations/commands/fan-out-deliveries.command';
import { DELIVERY_QUEUE } from '../src/destinations/delivery/delivery.constants';
import { GetEventsByIdsQuery } from '../src/ingestion/queries/get-events-by-ids.query';
import { FakePlatform, Received, Reply } from './support/fake-platform';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEBHOOK_SECRET = 'whsec-test-0123456789';
const META_TOKEN = 'EAAB-meta-access-token-secret';
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('destinations', () => {
  let t: TestApp;
  let fake: FakePlatform;
  /** Per test: messageId → list of replies, consumed in order; the last one repeats. */
  let script: Map<string, Reply[]>;

  const replyFor = (r: Received): Reply => {
    const key =
      r.json?.messageId ??
      r.json?.data?.[0]?.event_id ??
      r.json?.events?.[0]?.transactionId ??
      r.headers['x-script'] ??
      '';
    const list = script.get(String(key));
    if (!list || list.length === 0) return { status: 200, body: { ok: true } };
    return list.length > 1 ? (list.shift() as Reply) : list[0];
  };

  beforeAll(async () => {
    fake = await FakePlatform.start();
    t = await startTestApp({
      secretsKey: randomBytes(32).toString('base64'),
      deliveryBackoffMs: 20,
      deliveryMaxAttempts: 3,
      deliveryTimeoutMs: 1000,
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => {
    script = new Map();
    fake.responder = (r) => {
      if (r.path === '/token')
        return { status: 200, body: { access_token: 'ya29.fake-access-token', expires_in: 3600 } };
      return replyFor(r);
    };
  });

  const send = async (writeKey: string, batch: object[]) => {
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(writeKey))
      .send({ batch });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([]);
    return res.body;
  };
  const createDestination = async (body: object) => {
    const res = await t.admin.post('/admin/destinations', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; settings: Record<string, unknown> };
  };
  const webhook = (sourceId: string, path: string, extra: object = {}) =>
    createDestination({
      sourceId,
      type: 'webhook',
      name: 'hook',
      settings: { url: `${fake.url}${path}`, secret: WEBHOOK_SECRET },
      ...extra,
    });
  const eventOf = async (sourceId: string, messageId: string) =>
    eventually(
      async () => {
        const res = await t.admin.get(`/admin/events?sourceId=${sourceId}&limit=500`);
        return (res.body.items as Array<{ id: string; messageId: string }>).find(
          (e) => e.messageId === messageId,
        );
      },
      { what: `event ${messageId}` },
    );
  const tracksOf = async (eventId: string) =>
    (await t.admin.get(`/admin/events/${eventId}`)).body.tracks as any[];
  const settled = (tracks: any[]) =>
    tracks.length > 0 && tracks.every((x) => !['pending', 'failed'].includes(x.status));
  const finalTracks = (eventId: string, n = 1) =>
    eventually(
      async () => {
        const tracks = await tracksOf(eventId);
        const last = tracks.filter((x) => !['pending', 'failed'].includes(x.status));
        return last.length >= n && settled(tracks.slice(-1)) ? tracks : null;
      },
      { what: `final tracks of ${eventId}` },
    ).catch(async (err) => {
      const failed = await t.app.get<Queue>(getQueueToken(DELIVERY_QUEUE)).getFailed();
      const pq = t.app.get<Queue>(getQueueToken('pipeline'));
      const delayed = await t.app.get<Queue>(getQueueToken(DELIVERY_QUEUE)).getDelayed();
      const reasons = [...failed, ...delayed, ...(await pq.getFailed())]
        .map((j) => j.failedReason)
        .slice(0, 3);
      reasons.push(
        JSON.stringify(await pq.getJobCounts()),
        JSON.stringify(await t.app.get<Queue>(getQueueToken(DELIVERY_QUEUE)).getJobCounts()),
      );
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(await tracksOf(eventId))} failed jobs: ${JSON.stringify(reasons)}`,
      );
    });
  const drained = () =>
    eventually(
      async () => {
        const q = t.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
        const c = await q.getJobCounts();
        return c.waiting + c.active + c.delayed === 0;
      },
      { what: 'delivery queue drained' },
    );

  describe('admin', () => {
    it('validates settings per type and names the field', async () => {
      const s = await t.createSource();
      let res = await t.admin.post('/admin/destinations', {
        sourceId: s.id,
        type: 'snapchat',
        name: 'x',
        settings: {},
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(
        /type must be one of webhook, meta_capi, tiktok, ga4, google_ads/,
      );
      res = await t.admin.post('/admin/destinations', {
        sourceId: s.id,
        type: 'meta_capi',
        name: 'x',
        settings: { accessToken: 'abcd' },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/settings\.pixelId is required for meta_capi/);
      res = await t.admin.post('/admin/destinations', {
        sourceId: s.id,
        type: 'webhook',
        name: 'x',
        settings: { url: 'ftp://x', secret: 'abcd', nope: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/settings\.url must be an http\(s\) URL/);
      expect(res.body.message).toMatch(/settings\.nope is not a setting of webhook/);
      res = await t.admin.post('/admin/destinations', {
        sourceId: randomUUID(),
        type: 'webhook',
        name: 'x',
        settings: { url: fake.url, secret: 'abcd' },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/sourceId/);
      res = await t.admin.post('/admin/destinations', {
        sourceId: s.id,
        type: 'google_ads',
        name: 'x',
        settings: {
          customerId: '123-456-7890',
          conversionActionId: '1',
          clientId: 'c',
          clientSecret: 's3cr',
          refreshToken: 'r3fr',
          api: 'legacy',
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(
        /settings\.developerToken is required for google_ads when api is legacy/,
      );
    });

    it('encrypts secrets at rest and masks them on every read; the mask sent back keeps them', async () => {
      const s = await t.createSource();
      const d = await createDestination({
        sourceId: s.id,
        type: 'meta_capi',
        name: 'Meta',
        settings: { pixelId: '123', accessToken: META_TOKEN },
      });
      expect(d.settings).toEqual({ pixelId: '123', accessToken: '********' });
      const got = await t.admin.get(`/admin/destinations/${d.id}`);
      expect(got.body.settings.accessToken).toBe('********');
      const list = await t.admin.get('/admin/destinations');
      expect(list.text).not.toContain(META_TOKEN);
      const db = t.app.get<DataSource>(getDataSourceToken());
      const [row] = await db.query('SELECT settings FROM destinations WHERE id = ?', [d.id]);
      expect(JSON.stringify(row)).not.toContain(META_TOKEN);
      expect(JSON.stringify(row)).toContain('enc:v1:');

      const patched = await t.admin.patch(`/admin/destinations/${d.id}`, {
        name: 'Meta 2',
        settings: { accessToken: '********', testEventCode: 'TEST1' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        name: 'Meta 2',
        settings: { pixelId: '123', accessToken: '********', testEventCode: 'TEST1' },
      });
      const [after] = await db.query('SELECT settings FROM destinations WHERE id = ?', [d.id]);
      const settings =
        typeof after.settings === 'string' ? JSON.parse(after.settings) : after.settings;
      const before = typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings;
      expect(settings.accessToken).toBe(before.accessToken);

      const bad = await t.admin.patch(`/admin/destinations/${d.id}`, { type: 'webhook' });
      expect(bad.status).toBe(400);
      expect((await t.admin.delete(`/admin/destinations/${d.id}`)).status).toBe(204);
      expect((await t.admin.get(`/admin/destinations/${d.id}`)).status).toBe(404);
      expect((await t.admin.delete(`/admin/destinations/${d.id}`)).status).toBe(404);
    });
    it('rejects a bad filter, and documents the routes in OpenAPI', async () => {
      const s = await t.createSource();
      const res = await t.admin.post('/admin/destinations', {
        sourceId: s.id,
        type: 'webhook',
        name: 'x',
        settings: { url: fake.url, secret: 'abcd' },
        filter: { types: ['click'] },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/filter\.types must hold track, identify/);
      const docs = await t.http().get('/docs-json');
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining([
          '/admin/destinations',
          '/admin/destinations/{id}',
          '/admin/tracks',
          '/admin/replay',
        ]),
      );
    });

    it('refuses to store secrets without SECRETS_KEY: 503 naming it', async () => {
      const bare = await startTestApp({ role: 'api', secretsKey: undefined });
      try {
        const src = await bare.createSource();
        const res = await bare.admin.post('/admin/destinations', {
          sourceId: src.id,
          type: 'webhook',
          name: 'x',
          settings: { url: fake.url, secret: 'abcd' },
        });
        expect(res.status).toBe(503);
        expect(res.body.message).toMatch(/SECRETS_KEY/);
      } finally {
        await bare.close();
      }
    });
  });

  describe('delivery', () => {
    it('webhook: the event as the admin API shows it, signed, with Idempotency-Key; a Track row per request', async () => {
      const s = await t.createSource();
      await webhook(s.id, '/hook-flow');
      const ts = new Date(Date.now() - 5 * 60_000).toISOString();
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'u1',
          messageId: 'wf-1',
          timestamp: ts,
          properties: { total: 10 },
        },
        { type: 'identify', userId: 'u1', messageId: 'wf-2', traits: { email: 'a@b.co' } },
        { type: 'page', anonymousId: 'a1', messageId: 'wf-3', name: 'Home' },
      ]);
      const got = await eventually(
        () => fake.on('/hook-flow').length >= 3 && fake.on('/hook-flow'),
        { what: '3 webhooks' },
      );
      const first = got.find((r) => r.json.messageId === 'wf-1') as Received;
      const event = await eventOf(s.id, 'wf-1');
      const { tracks: _tracks, ...shown } = (await t.admin.get(`/admin/events/${event.id}`)).body;
      expect(first.json).toEqual(shown);
      expect(first.json.timestamp).toBe(ts);
      expect(first.headers['x-signature']).toBe(
        `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(first.body).digest('hex')}`,
      );
      expect(first.headers['idempotency-key']).toBe(event.id);
      expect(first.headers['user-agent']).toMatch(/^tracking-service\//);
      const tracks = await finalTracks(event.id);
      expect(tracks).toHaveLength(1);
      expect(tracks[0]).toMatchObject({
        eventId: event.id,
        attempt: 1,
        status: 'succeeded',
        replayOf: null,
        error: null,
      });
      expect(tracks[0].request.headers['Idempotency-Key']).toBe(event.id);
      expect(tracks[0].request.body.messageId).toBe('wf-1');
      expect(tracks[0].response.status).toBe(200);
      expect(tracks[0].sentAt).not.toBeNull();
      const list = await t.admin.get(`/admin/tracks?eventId=${event.id}&status=succeeded`);
      expect(list.body.items.map((x: any) => x.id)).toEqual([tracks[0].id]);
    });

    it('meta: one batched request, one Track row per event with its own part, token masked', async () => {
      const s = await t.createSource();
      const d = await createDestination({
        sourceId: s.id,
        type: 'meta_capi',
        name: 'Meta',
        settings: { pixelId: '555', accessToken: META_TOKEN, endpoint: `${fake.url}/meta` },
      });
      const ts = new Date(Date.now() - 2 * HOUR).toISOString();
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'm-u1',
          messageId: 'mb-1',
          timestamp: ts,
          properties: {
            order_id: 'o-1',
            revenue: 42.5,
            currency: 'usd',
            email: ' John@Example.com ',
            products: [{ product_id: 'sku-1', quantity: 1, price: 42.5 }],
          },
          context: {
            ip: '24.5.68.47',
            // A real browser's: since the bot flag, a bare `Mozilla/5.0 ...` is a bot and never sent.
            userAgent: CHROME,
            page: { url: 'https://shop.example/checkout?fbclid=IwAR1-AbC' },
          },
        },
        {
          type: 'page',
          anonymousId: 'm-a1',
          messageId: 'mb-2',
          timestamp: ts,
          context: { page: { url: 'https://shop.example/' } },
        },
        {
          type: 'track',
          event: 'Custom Thing',
          anonymousId: 'm-a1',
          messageId: 'mb-3',
          timestamp: ts,
        },
        { type: 'identify', userId: 'm-u1', messageId: 'mb-4', traits: { email: 'x@y.z' } },
      ]);
      const [req] = await eventually(
        () => fake.on('/meta/v21.0/555/events').length >= 1 && fake.on('/meta/v21.0/555/events'),
        { what: 'meta request' },
      );
      expect(req.query.get('access_token')).toBe(META_TOKEN);
      expect(req.json.data.map((x: any) => x.event_name)).toEqual([
        'Purchase',
        'PageView',
        'Custom Thing',
      ]);
      const purchase = req.json.data[0];
      expect(purchase).toMatchObject({
        event_time: Math.floor(Date.parse(ts) / 1000),
        event_id: 'mb-1',
        action_source: 'website',
        event_source_url: 'https://shop.example/checkout?fbclid=IwAR1-AbC',
        custom_data: {
          value: 42.5,
          currency: 'USD',
          order_id: 'o-1',
          contents: [{ id: 'sku-1', quantity: 1, item_price: 42.5 }],
          content_type: 'product',
        },
      });
      // The message's own email first, then the one the identify in the same batch put on the profile.
      expect(purchase.user_data.em).toEqual([sha256('john@example.com'), sha256('x@y.z')]);
      expect(purchase.user_data.fbc).toBe(`fb.1.${Date.parse(ts)}.IwAR1-AbC`);
      expect(purchase.user_data.client_ip_address).toBe('24.5.68.47');
      const event = await eventOf(s.id, 'mb-1');
      const [track] = await finalTracks(event.id);
      expect(track.status).toBe('succeeded');
      expect(track.request.batch).toEqual({ size: 3, index: 0 });
      expect(track.request.body.data).toHaveLength(1);
      expect(track.request.body.data[0].event_id).toBe('mb-1');
      expect(track.request.url).toContain('access_token=********');
      const all = await t.admin.get(`/admin/tracks?destinationId=${d.id}`);
      expect(all.body.items).toHaveLength(3);
      expect(all.text).not.toContain(META_TOKEN);
    });

    it('retries 5xx, 408, timeouts and network errors, then succeeds; 400 and 501 are dead at once', async () => {
      const s = await t.createSource();
      await webhook(s.id, '/hook-retry');
      script.set('r-500', [{ status: 503 }, { status: 200 }]);
      script.set('r-408', [{ status: 408 }, { status: 200 }]);
      script.set('r-timeout', [{ hang: true }, { status: 200 }]);
      script.set('r-drop', [{ drop: true }, { status: 200 }]);
      script.set('r-400', [{ status: 400, body: { error: 'bad' } }]);
      script.set('r-501', [{ status: 501 }]);
      const ids = ['r-500', 'r-408', 'r-timeout', 'r-drop', 'r-400', 'r-501'];
      await send(
        s.writeKey,
        ids.map((messageId) => ({ type: 'track', event: 'E', userId: 'u', messageId })),
      );
      const rows: Record<string, any[]> = {};
      for (const id of ids) {
        const e = await eventOf(s.id, id);
        rows[id] = await finalTracks(e.id);
      }
      for (const id of ['r-500', 'r-408', 'r-timeout', 'r-drop']) {
        expect(rows[id].map((x) => [x.attempt, x.status])).toEqual([
          [1, 'failed'],
          [2, 'succeeded'],
        ]);
      }
      expect(rows['r-500'][0].response.status).toBe(503);
      expect(rows['r-timeout'][0].error).toMatch(/timed out/);
      expect(rows['r-drop'][0].error).toMatch(/network error/);
      expect(rows['r-400'].map((x) => [x.attempt, x.status])).toEqual([[1, 'dead']]);
      expect(rows['r-400'][0].error).toMatch(/HTTP 400/);
      expect(rows['r-501'].map((x) => [x.attempt, x.status])).toEqual([[1, 'dead']]);
    });

    it('honours Retry-After on 429 and gives up after DELIVERY_MAX_ATTEMPTS (dead letter)', async () => {
      const s = await t.createSource();
      await webhook(s.id, '/hook-429');
      script.set('r-429', [{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200 }]);
      script.set('r-always', [{ status: 500 }]);
      await send(s.writeKey, [
        { type: 'track', event: 'E', userId: 'u', messageId: 'r-429' },
        { type: 'track', event: 'E', userId: 'u', messageId: 'r-always' },
      ]);
      const e429 = await eventOf(s.id, 'r-429');
      const rows = await finalTracks(e429.id);
      expect(rows.map((x) => x.status)).toEqual(['failed', 'succeeded']);
      const calls = fake.on('/hook-429').filter((r) => r.json.messageId === 'r-429');
      expect(calls).toHaveLength(2);
      // The backoff base is 20 ms here: only Retry-After explains a second or more between the two.
      expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(950);
      const eDead = await eventOf(s.id, 'r-always');
      const dead = await finalTracks(eDead.id);
      expect(dead.map((x) => [x.attempt, x.status])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'dead'],
      ]);
      expect(dead[2].error).toMatch(/gave up after 3 attempts: HTTP 500/);
      const letters = await t.admin.get(`/admin/tracks?status=dead&eventId=${eDead.id}`);
      expect(letters.body.items).toHaveLength(1);
    });

    it('tiktok: code 40100 retries, 40001 is dead, even with HTTP 200', async () => {
      const s = await t.createSource();
      await createDestination({
        sourceId: s.id,
        type: 'tiktok',
        name: 'TT',
        settings: { pixelCode: 'PX1', accessToken: 'tt-secret-token', endpoint: `${fake.url}/tt` },
      });
      fake.responder = (r) => {
        const id = r.json?.data?.[0]?.event_id;
        if (id === 'tt-throttled') {
          const n = fake.received.filter((x) => x.json?.data?.[0]?.event_id === id).length;
          return {
            status: 200,
            body: n === 1 ? { code: 40100, message: 'throttled' } : { code: 0, message: 'OK' },
          };
        }
        if (id === 'tt-auth')
          return { status: 200, body: { code: 40001, message: 'no permission' } };
        return { status: 200, body: { code: 0, message: 'OK' } };
      };
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Product Added',
          userId: 'u',
          messageId: 'tt-throttled',
          context: { page: { url: 'https://x.example/?ttclid=E.C.P.abc' } },
        },
      ]);
      await send(s.writeKey, [
        { type: 'track', event: 'Product Added', userId: 'u', messageId: 'tt-auth' },
      ]);
      const throttled = await finalTracks((await eventOf(s.id, 'tt-throttled')).id);
      expect(throttled.map((x) => x.status)).toEqual(['failed', 'succeeded']);
      expect(throttled[0].error).toMatch(/40100/);
      expect(throttled[1].request.headers['Access-Token']).toBe('********');
      expect(throttled[1].request.body.data[0]).toMatchObject({
        event: 'AddToCart',
        event_id: 'tt-throttled',
        user: { ttclid: 'E.C.P.abc' },
      });
      const auth = await finalTracks((await eventOf(s.id, 'tt-auth')).id);
      expect(auth.map((x) => x.status)).toEqual(['dead']);
    });

    it('skips events older than the platform window, with the reason; the webhook still sends them', async () => {
      const s = await t.createSource();
      await createDestination({
        sourceId: s.id,
        type: 'meta_capi',
        name: 'Meta',
        settings: { pixelId: '777', accessToken: META_TOKEN, endpoint: `${fake.url}/meta-old` },
      });
      await createDestination({
        sourceId: s.id,
        type: 'ga4',
        name: 'GA4',
        settings: {
          measurementId: 'G-TEST1',
          apiSecret: 'ga-secret',
          endpoint: `${fake.url}/ga-old`,
        },
      });
      await webhook(s.id, '/hook-old');
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'u',
          messageId: 'old-8d',
          timestamp: new Date(Date.now() - 8 * DAY).toISOString(),
        },
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'u',
          messageId: 'old-4d',
          timestamp: new Date(Date.now() - 4 * DAY).toISOString(),
        },
      ]);
      const e8 = await eventOf(s.id, 'old-8d');
      const e4 = await eventOf(s.id, 'old-4d');
      const t8 = await finalTracks(e8.id, 3);
      const t4 = await finalTracks(e4.id, 3);
      const byStatus = (rows: any[]) => rows.map((x) => x.status).sort();
      expect(byStatus(t8)).toEqual(['skipped', 'skipped', 'succeeded']);
      expect(t8.find((x) => x.error?.includes('Meta'))?.error).toMatch(
        /accepts events up to 168 h old/,
      );
      expect(byStatus(t4)).toEqual(['skipped', 'succeeded', 'succeeded']);
      expect(t4.find((x) => x.status === 'skipped').error).toMatch(
        /GA4 accepts events up to 72 h old/,
      );
      expect(
        fake
          .on('/meta-old/v21.0/777/events')
          .flatMap((r) => r.json.data.map((x: any) => x.event_id)),
      ).toEqual(['old-4d']);
      expect(fake.on('/ga-old/mp/collect')).toHaveLength(0);
    });

    it('google ads: refresh-token exchange cached, Data Manager request with gclid; no click id → skipped', async () => {
      const s = await t.createSource();
      await createDestination({
        sourceId: s.id,
        type: 'google_ads',
        name: 'Ads',
        settings: {
          customerId: '123-456-7890',
          conversionActionId: '987',
          clientId: 'cid',
          clientSecret: 'client-secret-x',
          refreshToken: 'refresh-token-x',
          tokenEndpoint: `${fake.url}/token`,
          endpoint: `${fake.url}/gads`,
        },
      });
      const tokensBefore = fake.on('/token').length;
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'g1',
          messageId: 'ga-1',
          properties: { order_id: 'o-9', revenue: 12, email: 'Jo.Hn@gmail.com' },
          context: { page: { url: 'https://x.example/?gclid=Cj0-ABC' } },
        },
        { type: 'track', event: 'Order Completed', userId: 'g2', messageId: 'ga-2' },
        {
          type: 'track',
          event: 'Product Viewed',
          userId: 'g3',
          messageId: 'ga-3',
          context: { page: { url: 'https://x.example/?gclid=Cj0-DEF' } },
        },
      ]);
      const [req] = await eventually(
        () => fake.on('/gads/v1/events:ingest').length >= 1 && fake.on('/gads/v1/events:ingest'),
        { what: 'ingest' },
      );
      expect(req.headers.authorization).toBe('Bearer ya29.fake-access-token');
      expect(req.json.destinations).toEqual([
        {
          operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
          productDestinationId: '987',
        },
      ]);
      expect(req.json.events).toHaveLength(1);
      expect(req.json.events[0]).toMatchObject({
        adIdentifiers: { gclid: 'Cj0-ABC' },
        transactionId: 'o-9',
        conversionValue: 12,
        currency: 'USD',
        eventSource: 'WEB',
      });
      expect(req.json.events[0].userData.userIdentifiers[0].emailAddress).toBe(
        sha256('john@gmail.com'),
      );
      const tokenCall = fake.on('/token').slice(tokensBefore)[0];
      expect(new URLSearchParams(tokenCall.body).get('grant_type')).toBe('refresh_token');
      const ok = await finalTracks((await eventOf(s.id, 'ga-1')).id);
      expect(ok[0].status).toBe('succeeded');
      expect(ok[0].request.headers.Authorization).toBe('Bearer ********');
      expect(JSON.stringify(ok)).not.toContain('ya29.fake-access-token');
      const skipped = await finalTracks((await eventOf(s.id, 'ga-2')).id);
      expect(skipped[0]).toMatchObject({
        status: 'skipped',
        error: 'no gclid, gbraid or wbraid on the event or its profile',
      });
      expect(await tracksOf((await eventOf(s.id, 'ga-3')).id)).toEqual([]);
      await send(s.writeKey, [
        {
          type: 'track',
          event: 'Order Completed',
          userId: 'g1',
          messageId: 'ga-4',
          context: { page: { url: 'https://x.example/?gclid=Cj0-XYZ' } },
        },
      ]);
      await finalTracks((await eventOf(s.id, 'ga-4')).id);
      expect(fake.on('/token').length - tokensBefore).toBe(1);
    });

    it('ga4 test mode: validation messages from /debug/mp/collect make the row dead', async () => {
      const s = await t.createSource();
      await createDestination({
        sourceId: s.id,
        type: 'ga4',
        name: 'GA4',
        settings: {
          measurementId: 'G-DBG',
          apiSecret: 'ga-secret-dbg',
          testMode: true,
          endpoint: `${fake.url}/ga-dbg`,
        },
      });
      fake.responder = () => ({
        status: 200,
        body: {
          validationMessages: [
            { fieldPath: 'events', description: 'bad name', validationCode: 'NAME_INVALID' },
          ],
        },
      });
      await send(s.writeKey, [
        { type: 'track', event: 'Signed Up', anonymousId: 'cid-1', messageId: 'ga4-dbg' },
      ]);
      const [row] = await finalTracks((await eventOf(s.id, 'ga4-dbg')).id);
      expect(row.status).toBe('dead');
      expect(row.error).toMatch(/GA4 validation: events bad name/);
      expect(row.request.url).toContain(
        '/ga-dbg/debug/mp/collect?measurement_id=G-DBG&api_secret=********',
      );
      expect(row.request.body.events[0].name).toBe('sign_up');
      expect(row.request.body.client_id).toBe('cid-1');
    });

    it('an event enqueued twice is delivered once', async () => {
      const s = await t.createSource();
      await webhook(s.id, '/hook-twice');
      await send(s.writeKey, [{ type: 'track', event: 'E', userId: 'u', messageId: 'twice-1' }]);
      const e = await eventOf(s.id, 'twice-1');
      await finalTracks(e.id);
      const views = await t.app.get(QueryBus).execute(new GetEventsByIdsQuery([e.id]));
      await t.app.get(CommandBus).execute(new FanOutDeliveriesCommand(views));
      await t.app.get(CommandBus).execute(new FanOutDeliveriesCommand(views));
      await drained();
      expect(fake.on('/hook-twice')).toHaveLength(1);
      expect(await tracksOf(e.id)).toHaveLength(1);
    });
  });

  describe('replay and backfill', () => {
    it('replays a dead letter with the original event time; the new row names the replayed one', async () => {
      const s = await t.createSource();
      const d = await createDestination({
        sourceId: s.id,
        type: 'meta_capi',
        name: 'Meta',
        settings: { pixelId: '888', accessToken: META_TOKEN, endpoint: `${fake.url}/meta-replay` },
      });
      const ts = new Date(Date.now() - 3 * DAY).toISOString();
      script.set('rp-1', [
        {
          status: 400,
          body: { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100 } },
        },
      ]);
      await send(s.writeKey, [
        { type: 'track', event: 'Order Completed', userId: 'u', messageId: 'rp-1', timestamp: ts },
      ]);
      const e = await eventOf(s.id, 'rp-1');
      const [dead] = await finalTracks(e.id);
      expect(dead.status).toBe('dead');
      expect(dead.error).toMatch(/Invalid parameter \(code 100\)/);
      script.set('rp-1', [{ status: 200, body: { events_received: 1 } }]);
      const res = await t.admin.post('/admin/replay', { destinationId: d.id, status: 'dead' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ queued: 1, olderThan48h: 1, outsideWindow: 0 });
      expect(res.body.note).toMatch(/48 hours/);
      const rows = await finalTracks(e.id, 2);
      expect(rows[1]).toMatchObject({ status: 'succeeded', replayOf: dead.id, attempt: 1 });
      const calls = fake.on('/meta-replay/v21.0/888/events');
      expect(calls).toHaveLength(2);
      expect(calls[1].json.data[0].event_time).toBe(Math.floor(Date.parse(ts) / 1000));
      // Nothing dead is left to replay.
      const again = await t.admin.post('/admin/replay', { destinationId: d.id, status: 'dead' });
      expect(again.body.queued).toBe(0);
      const byTrack = await t.admin.post('/admin/replay', { trackIds: [rows[1].id] });
      expect(byTrack.body.queued).toBe(1);
      const three = await finalTracks(e.id, 3);
      expect(three[2].replayOf).toBe(rows[1].id);
    });

    it('backfills a destination added later over a time range, each with its original time', async () => {
      const s = await t.createSource();
      const base = Date.now() - 2 * HOUR;
      const times = [0, 1, 2, 3].map((i) => new Date(base + i * 60_000).toISOString());
      await send(
        s.writeKey,
        times.map((timestamp, i) => ({
          type: 'track',
          event: 'E',
          userId: 'u',
          messageId: `bf-${i}`,
          timestamp,
        })),
      );
      await eventOf(s.id, 'bf-3');
      // The destination must come after the pipeline has fanned these events out; created while they
      // are still in the queue, it would get them live, not by the backfill.
      const pipeline = t.app.get<Queue>(getQueueToken('pipeline'));
      await eventually(
        async () => {
          const c = await pipeline.getJobCounts();
          return c.waiting + c.active + c.delayed === 0;
        },
        { what: 'the pipeline idle' },
      );
      const d = await webhook(s.id, '/hook-backfill');
      const res = await t.admin.post('/admin/replay', {
        destinationId: d.id,
        from: times[1],
        to: times[3],
      });
      expect(res.status).toBe(202);
      expect(res.body.queued).toBe(3);
      expect(res.body.note).toBeUndefined();
      const got = await eventually(
        () => fake.on('/hook-backfill').length >= 3 && fake.on('/hook-backfill'),
        { what: 'backfill' },
      );
      expect(got.map((r) => r.json.messageId).sort()).toEqual(['bf-1', 'bf-2', 'bf-3']);
      for (const r of got) expect(r.json.timestamp).toBe(times[Number(r.json.messageId.slice(3))]);
      const rows = await finalTracks((await eventOf(s.id, 'bf-2')).id);
      expect(rows[0]).toMatchObject({ status: 'succeeded', replayOf: null });
      const bad = await t.admin.post('/admin/replay', { destinationId: d.id });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/status or from\/to/);
    });
  });
});
