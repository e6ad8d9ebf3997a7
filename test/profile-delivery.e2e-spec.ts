import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DELIVERY_QUEUE } from '../src/destinations/delivery/delivery.constants';
import { PIPELINE_QUEUE } from '../src/ingestion/pipeline/pipeline.constants';
import { FakePlatform, Received } from './support/fake-platform';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const MINUTE = 60_000;
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/**
 * The platform adapters read the RESOLVED PROFILE: a visitor lands with click ids (anonymous), is
 * identified later with email and phone, and then buys as a bare userId. The purchase sent to each
 * platform must carry what identity resolution learned, not just what the purchase message said.
 */
describe('delivery with the resolved profile', () => {
  let t: TestApp;
  let fake: FakePlatform;
  let source: { id: string; writeKey: string; publicKey: string };

  // Click ids as an ad platform writes them: mixed case, `-` and `_`, which must survive untouched.
  const FBCLID = 'IwAR2xY-Zq_8KdLmN-oP_QrStUv';
  const GCLID = 'Cj0KCQiA-Xy_Z1bC2dE';
  const TTCLID = 'E.C.P.CqgBAbC-dE_fGh';
  const anonymousId = `anon-${randomBytes(4).toString('hex')}`;
  const userId = `User-${randomBytes(4).toString('hex')}`;
  const now = Date.now();
  const pageTs = new Date(now - 30 * MINUTE).toISOString();
  const identifyTs = new Date(now - 20 * MINUTE).toISOString();
  const trackTs = new Date(now - 10 * MINUTE).toISOString();
  const landing = `https://shop.example/landing?utm_source=fb&fbclid=${FBCLID}&gclid=${GCLID}&ttclid=${TTCLID}`;
  const ids = { page: 'pd-page-1', identify: 'pd-identify-1', track: 'pd-order-1' };
  const EMAIL = 'jane.doe@example.com';
  const E164 = '+4520123456';

  const send = async (batch: object[]) => {
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(source.writeKey))
      .send({ batch });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([]);
  };
  const eventOf = (messageId: string) =>
    eventually(
      async () => {
        const res = await t.admin.get(`/admin/events?sourceId=${source.id}&limit=500`);
        return (res.body.items as any[]).find((e) => e.messageId === messageId);
      },
      { what: `event ${messageId}` },
    );
  /** The event once identity resolution has given it a profile. */
  const resolved = (messageId: string) =>
    eventually(
      async () => {
        const e = await eventOf(messageId);
        const full = (await t.admin.get(`/admin/events/${e.id}`)).body;
        return full.profileId ? full : null;
      },
      { what: `profile of ${messageId}` },
    );
  const createDestination = async (body: object) => {
    const res = await t.admin.post('/admin/destinations', { sourceId: source.id, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  /** The one request (or batch entry) carrying an event id, found by the platform's dedup key. */
  const requestFor = (path: string, find: (r: Received) => boolean) =>
    eventually(() => fake.on(path).find(find), { what: `a request on ${path}` });
  const metrics = async () => (await t.http().get('/metrics')).text;
  const metric = (text: string, line: RegExp): number => {
    const found = text.split('\n').find((l) => line.test(l));
    return found ? Number(found.split(' ').pop()) : 0;
  };
  const WEBHOOK_OK =
    /^tracking_deliveries_total\{(?=.*destination_type="webhook")(?=.*status="succeeded").*\} /;
  const WEBHOOK_LATENCY_COUNT =
    /^tracking_delivery_duration_seconds_count\{destination_type="webhook"\} /;

  let metricsBefore: string;
  let profileId: string;
  let trackEvent: any;

  beforeAll(async () => {
    fake = await FakePlatform.start((r) =>
      r.path === '/token'
        ? { status: 200, body: { access_token: 'ya29.profile-test', expires_in: 3600 } }
        : r.path.startsWith('/tt/')
          ? { status: 200, body: { code: 0, message: 'OK' } }
          : { status: 200, body: { ok: true } },
    );
    t = await startTestApp({
      secretsKey: randomBytes(32).toString('base64'),
      deliveryBackoffMs: 20,
      deliveryMaxAttempts: 3,
      deliveryTimeoutMs: 2000,
    });
    metricsBefore = await metrics();
    source = await t.createSource();
    await createDestination({
      type: 'webhook',
      name: 'hook',
      settings: { url: `${fake.url}/hook`, secret: 'whsec-profile-test' },
    });
    await createDestination({
      type: 'meta_capi',
      name: 'Meta',
      settings: {
        pixelId: '4242',
        accessToken: 'EAAB-profile-token',
        endpoint: `${fake.url}/meta`,
      },
    });
    await createDestination({
      type: 'tiktok',
      name: 'TikTok',
      settings: {
        pixelCode: 'CPIXEL1',
        accessToken: 'tt-profile-token',
        endpoint: `${fake.url}/tt`,
      },
    });
    await createDestination({
      type: 'ga4',
      name: 'GA4',
      settings: { measurementId: 'G-PROFILE1', apiSecret: 'ga-secret', endpoint: `${fake.url}/ga` },
    });
    await createDestination({
      type: 'google_ads',
      name: 'Ads',
      settings: {
        customerId: '123-456-7890',
        conversionActionId: '555',
        clientId: 'cid',
        clientSecret: 'client-secret-p',
        refreshToken: 'refresh-token-p',
        tokenEndpoint: `${fake.url}/token`,
        endpoint: `${fake.url}/gads`,
      },
    });

    // 1. The anonymous landing, with every click id in the URL.
    await send([
      {
        type: 'page',
        anonymousId,
        messageId: ids.page,
        timestamp: pageTs,
        name: 'Landing',
        context: { page: { url: landing }, userAgent: CHROME, ip: '198.51.100.7' },
      },
    ]);
    await resolved(ids.page);
    // 2. Identified later: email in capitals with spaces, a phone in national spacing.
    await send([
      {
        type: 'identify',
        anonymousId,
        userId,
        messageId: ids.identify,
        timestamp: identifyTs,
        traits: { email: '  Jane.Doe@Example.COM ', phone: '+45 20 12 34 56' },
      },
    ]);
    const identified = await resolved(ids.identify);
    profileId = identified.profileId;
    await eventually(
      async () => {
        const p = (await t.admin.get(`/admin/profiles/${profileId}`)).body;
        return p.identities?.some((i: any) => i.type === 'email') ? p : null;
      },
      { what: 'the email on the profile' },
    );
    // 3. The purchase from the server: the userId alone, no email, phone, page or click id.
    await send([
      {
        type: 'track',
        event: 'Order Completed',
        userId,
        messageId: ids.track,
        timestamp: trackTs,
        properties: {
          order_id: 'ord-77',
          revenue: 129.9,
          currency: 'dkk',
          products: [
            { product_id: 'sku-1', name: 'Mug', price: 49.95, quantity: 2 },
            { product_id: 'sku-2', name: 'Tea', price: 30 },
          ],
        },
      },
    ]);
    trackEvent = await resolved(ids.track);
  });

  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('resolves the purchase to the profile that holds the landing, the email and the phone', async () => {
    expect(trackEvent.profileId).toBe(profileId);
    expect(trackEvent.context.clickIds).toBeUndefined();
    const profile = (await t.admin.get(`/admin/profiles/${profileId}`)).body;
    expect(profile.identities).toEqual(
      expect.arrayContaining([
        { type: 'userId', value: userId },
        { type: 'anonymousId', value: anonymousId },
        { type: 'email', value: EMAIL },
        { type: 'phone', value: E164 },
      ]),
    );
    expect(profile.attribution.first.clickIds).toEqual({
      fbclid: FBCLID,
      gclid: GCLID,
      ttclid: TTCLID,
    });
  });

  it('meta: hashed email, phone and userId from the profile, fbc from its landing, the event time and id', async () => {
    const req = await requestFor('/meta/v21.0/4242/events', (r) =>
      r.json?.data?.some((d: any) => d.event_id === ids.track),
    );
    const entry = req.json.data.find((d: any) => d.event_id === ids.track);
    expect(entry).toMatchObject({
      event_name: 'Purchase',
      event_time: Math.floor(Date.parse(trackTs) / 1000),
      event_id: ids.track,
      action_source: 'website',
      custom_data: {
        value: 129.9,
        currency: 'DKK',
        order_id: 'ord-77',
        contents: [
          { id: 'sku-1', quantity: 2, item_price: 49.95 },
          { id: 'sku-2', quantity: 1, item_price: 30 },
        ],
        content_type: 'product',
      },
    });
    expect(entry.user_data.em).toEqual([sha256(EMAIL)]);
    // Meta wants the digits with the country code and without `+`.
    expect(entry.user_data.ph).toEqual([sha256(E164.slice(1))]);
    expect(entry.user_data.external_id).toEqual([sha256(userId)]);
    // The click's own time (the landing), and the fbclid exactly as it stood in the URL.
    expect(entry.user_data.fbc).toBe(`fb.1.${Date.parse(pageTs)}.${FBCLID}`);
  });

  it('tiktok: hashed email and E.164 phone from the profile, the ttclid from its landing', async () => {
    const req = await requestFor('/tt/open_api/v1.3/event/track/', (r) =>
      r.json?.data?.some((d: any) => d.event_id === ids.track),
    );
    expect(req.headers['access-token']).toBe('tt-profile-token');
    const entry = req.json.data.find((d: any) => d.event_id === ids.track);
    expect(entry).toMatchObject({
      event: 'CompletePayment',
      event_time: Math.floor(Date.parse(trackTs) / 1000),
      event_id: ids.track,
      properties: { value: 129.9, currency: 'DKK', order_id: 'ord-77', content_type: 'product' },
    });
    expect(entry.user).toMatchObject({
      email: sha256(EMAIL),
      // TikTok's Events API 2.0: E.164 with the leading `+`, then SHA-256.
      phone: sha256(E164),
      external_id: sha256(userId),
      ttclid: TTCLID,
    });
  });

  it('google ads: the gclid from the profile and hashed identifiers, at the event time', async () => {
    const req = await requestFor('/gads/v1/events:ingest', (r) =>
      r.json?.events?.some((e: any) => e.transactionId === 'ord-77'),
    );
    expect(req.headers.authorization).toBe('Bearer ya29.profile-test');
    const entry = req.json.events.find((e: any) => e.transactionId === 'ord-77');
    expect(entry).toMatchObject({
      adIdentifiers: { gclid: GCLID },
      eventTimestamp: new Date(trackTs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      conversionValue: 129.9,
      currency: 'DKK',
      eventSource: 'WEB',
    });
    expect(entry.userData.userIdentifiers).toEqual([
      { emailAddress: sha256(EMAIL) },
      { phoneNumber: sha256(E164) },
    ]);
    expect(req.json.destinations[0].productDestinationId).toBe('555');
  });

  it("ga4: the profile's anonymous id as client_id and the userId as user_id", async () => {
    const req = await requestFor('/ga/mp/collect', (r) =>
      r.json?.events?.some((e: any) => e.name === 'purchase'),
    );
    expect(req.json).toMatchObject({ client_id: anonymousId, user_id: userId });
    expect(req.json.timestamp_micros).toBe(`${Date.parse(trackTs)}000`);
    expect(req.json.events[0].params).toMatchObject({
      transaction_id: 'ord-77',
      value: 129.9,
      currency: 'DKK',
    });
    // The landing page view went under the same client id.
    const landingHit = await requestFor('/ga/mp/collect', (r) =>
      r.json?.events?.some((e: any) => e.name === 'page_view'),
    );
    expect(landingHit.json.client_id).toBe(anonymousId);
  });

  it('webhook: the purchase as the admin API shows it, with the profileId identity gave it', async () => {
    const req = await requestFor('/hook', (r) => r.json?.messageId === ids.track);
    expect(req.json.profileId).toBe(profileId);
    const { tracks: _tracks, ...shown } = (await t.admin.get(`/admin/events/${trackEvent.id}`))
      .body;
    expect(req.json).toEqual(shown);
  });

  it('records one succeeded Track row per destination for the purchase', async () => {
    const tracks = await eventually(
      async () => {
        const rows = (await t.admin.get(`/admin/events/${trackEvent.id}`)).body.tracks as any[];
        return rows.length === 5 && rows.every((x) => x.status === 'succeeded') ? rows : null;
      },
      { what: 'five succeeded tracks' },
    );
    const meta = tracks.find((x) => x.request.url.includes('/meta/'));
    expect(meta.request.body.data[0].user_data.fbc).toBe(`fb.1.${Date.parse(pageTs)}.${FBCLID}`);
    expect(JSON.stringify(tracks)).not.toContain('EAAB-profile-token');
  });

  it('a landing through the browser pixel works the same, keyed on the visitor cookie', async () => {
    const fbclid = 'PAZXh0bgNhZW0-Ab_Cd';
    const ttclid = 'E.C.P.Pixel-Ab_9';
    const hit = await t
      .http()
      .post(`/e/${source.publicKey}`)
      .set('X-Forwarded-For', '203.0.113.50')
      .set('User-Agent', CHROME)
      .send({ type: 'pageview', url: `https://shop.example/p?fbclid=${fbclid}&ttclid=${ttclid}` });
    expect(hit.status).toBe(202);
    const cookie = ((hit.headers['set-cookie'] as unknown as string[]) ?? []).find((c) =>
      c.startsWith('tk_aid='),
    );
    expect(cookie).toBeDefined();
    const visitor = (cookie as string).split(';')[0].slice('tk_aid='.length);
    const landingEvent = await eventually(
      async () => {
        const res = await t.admin.get(`/admin/events?sourceId=${source.id}&limit=500`);
        return (res.body.items as any[]).find((e) => e.anonymousId === visitor);
      },
      { what: 'the pixel landing' },
    );
    expect(landingEvent.context.clickIds).toEqual({ fbclid, ttclid });
    await send([
      {
        type: 'identify',
        anonymousId: visitor,
        userId: 'pixel-user',
        messageId: 'pd-px-identify',
        traits: { email: 'Bob@Example.ORG' },
      },
    ]);
    await resolved('pd-px-identify');
    await send([
      {
        type: 'track',
        event: 'Order Completed',
        userId: 'pixel-user',
        messageId: 'pd-px-order',
        properties: { order_id: 'ord-px', revenue: 10, currency: 'EUR' },
      },
    ]);
    const meta = await requestFor('/meta/v21.0/4242/events', (r) =>
      r.json?.data?.some((d: any) => d.event_id === 'pd-px-order'),
    );
    const entry = meta.json.data.find((d: any) => d.event_id === 'pd-px-order');
    expect(entry.user_data).toMatchObject({
      em: [sha256('bob@example.org')],
      external_id: [sha256('pixel-user')],
      fbc: `fb.1.${Date.parse(landingEvent.timestamp)}.${fbclid}`,
    });
    const tiktok = await requestFor('/tt/open_api/v1.3/event/track/', (r) =>
      r.json?.data?.some((d: any) => d.event_id === 'pd-px-order'),
    );
    expect(tiktok.json.data[0].user).toMatchObject({ email: sha256('bob@example.org'), ttclid });
    const ga = await requestFor('/ga/mp/collect', (r) =>
      r.json?.events?.some((e: any) => e.params?.transaction_id === 'ord-px'),
    );
    expect(ga.json).toMatchObject({ client_id: visitor, user_id: 'pixel-user' });
    // No gclid anywhere on this visitor: Google Ads skips the purchase with the reason.
    const order = await eventOf('pd-px-order');
    const rows = await eventually(
      async () => {
        const tracks = (await t.admin.get(`/admin/events/${order.id}`)).body.tracks as any[];
        return tracks.length === 5 && tracks.every((x) => x.status !== 'pending') ? tracks : null;
      },
      { what: 'the tracks of the pixel visitor purchase' },
    );
    expect(rows.filter((x) => x.status === 'skipped').map((x) => x.error)).toEqual([
      'no gclid, gbraid or wbraid on the event or its profile',
    ]);
  });

  it('bots never produce a Track row and never reach a platform', async () => {
    const botUrl = `https://shop.example/?fbclid=BOT-${FBCLID}&gclid=BOT-${GCLID}`;
    // A pixel hit without a User-Agent (a script), and a Segment page from a crawler.
    const pixel = await t
      .http()
      .post(`/e/${source.publicKey}`)
      .set('X-Forwarded-For', '203.0.113.99')
      .unset('User-Agent')
      .send({ type: 'pageview', url: botUrl });
    expect(pixel.status).toBe(202);
    await send([
      {
        type: 'page',
        anonymousId: 'crawler-1',
        messageId: 'pd-bot-page',
        context: { page: { url: botUrl }, userAgent: GOOGLEBOT },
      },
      {
        type: 'track',
        event: 'Order Completed',
        anonymousId: 'crawler-1',
        messageId: 'pd-bot-order',
        properties: { revenue: 1 },
        context: { page: { url: botUrl }, userAgent: GOOGLEBOT },
      },
      // A human after them: once it is delivered, the bots have had every chance to be.
      { type: 'track', event: 'Human Marker', userId, messageId: 'pd-human' },
    ]);
    const human = await eventOf('pd-human');
    await eventually(() => fake.on('/hook').some((r) => r.json?.messageId === 'pd-human'), {
      what: 'the human webhook',
    });
    const items = (await t.admin.get(`/admin/events?sourceId=${source.id}&limit=500`)).body
      .items as any[];
    const bots = items.filter((e) => e.bot);
    expect(bots.map((e) => e.messageId)).toEqual(
      expect.arrayContaining(['pd-bot-page', 'pd-bot-order']),
    );
    expect(bots).toHaveLength(3);
    expect(bots.find((e) => e.type === 'page' && e.enrichment.channel === 'pixel')).toBeDefined();

    // Wait until the pipeline has dispatched them and both queues are idle, then look.
    const db = t.app.get(DataSource);
    const pipeline = t.app.get<Queue>(getQueueToken(PIPELINE_QUEUE));
    const delivery = t.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
    await eventually(
      async () => {
        const rows: Array<{ dispatched_at: Date | null }> = await db.query(
          `SELECT dispatched_at FROM events WHERE id IN (${bots.map(() => '?').join(',')})`,
          bots.map((e) => e.id),
        );
        if (rows.some((r) => !r.dispatched_at)) return false;
        for (const q of [pipeline, delivery]) {
          const c = await q.getJobCounts();
          if (c.waiting + c.active + c.delayed > 0) return false;
        }
        return true;
      },
      { what: 'the bots through the pipeline and the queues idle' },
    );
    // Not even when asked for by id: a replay of bot events queues nothing.
    const replay = await t.admin.post('/admin/replay', { eventIds: bots.map((e) => e.id) });
    expect(replay.status).toBe(202);
    expect(replay.body.queued).toBe(0);
    for (const bot of bots) {
      const detail = (await t.admin.get(`/admin/events/${bot.id}`)).body;
      expect(detail.tracks).toEqual([]);
    }
    const [{ n }]: Array<{ n: number | string }> = await db.query(
      `SELECT COUNT(*) AS n FROM tracks WHERE event_id IN (${bots.map(() => '?').join(',')})`,
      bots.map((e) => e.id),
    );
    expect(Number(n)).toBe(0);
    const everything = fake.received.map((r) => r.body).join('\n');
    expect(everything).not.toContain('BOT-');
    expect(everything).not.toContain('crawler-1');
    for (const bot of bots) {
      expect(everything).not.toContain(bot.id);
      expect(everything).not.toContain(bot.messageId);
    }
    // The human went out as usual.
    expect((await t.admin.get(`/admin/events/${human.id}`)).body.tracks.length).toBeGreaterThan(0);
  });

  it('/metrics counts the webhook deliveries and times the requests', async () => {
    const webhooks = await eventually(
      async () => {
        const [{ n }]: Array<{ n: number | string }> = await t.app
          .get(DataSource)
          .query(
            `SELECT COUNT(*) AS n FROM tracks t JOIN destinations d ON d.id = t.destination_id WHERE d.type = 'webhook' AND t.status = 'succeeded'`,
          );
        return Number(n) >= 4 ? Number(n) : null;
      },
      { what: 'the webhook tracks' },
    );
    const after = await metrics();
    expect(metric(after, WEBHOOK_OK) - metric(metricsBefore, WEBHOOK_OK)).toBe(webhooks);
    expect(
      metric(after, WEBHOOK_LATENCY_COUNT) - metric(metricsBefore, WEBHOOK_LATENCY_COUNT),
    ).toBe(webhooks);
    expect(after).toMatch(/^# TYPE tracking_delivery_duration_seconds histogram$/m);
    expect(after).toMatch(
      /^tracking_delivery_duration_seconds_bucket\{le="\+Inf",destination_type="webhook"\} \d+$/m,
    );
    expect(after).toMatch(
      /^tracking_delivery_duration_seconds_sum\{destination_type="webhook"\} [\d.e-]+$/m,
    );
    for (const type of ['meta_capi', 'tiktok', 'ga4', 'google_ads']) {
      expect(
        metric(
          after,
          new RegExp(
            `^tracking_deliveries_total\\{(?=.*destination_type="${type}")(?=.*status="succeeded").*\\} `,
          ),
        ),
      ).toBeGreaterThan(0);
    }
  });
});
