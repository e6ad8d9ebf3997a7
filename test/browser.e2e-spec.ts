import { getQueueToken } from '@nestjs/bull';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { PIPELINE_STEPS } from '../src/app.pipeline';
import { rateLimitKey } from '../src/ingestion/http/public-rate-limit.guard';
import type { EventView } from '../src/ingestion/message/canonical-message';
import { PIPELINE_QUEUE } from '../src/ingestion/pipeline/pipeline.constants';
import { PipelineStepCommand } from '../src/ingestion/pipeline/pipeline-step';
import { basic, eventually, startAppWithConfig, startTestApp, TestApp } from './support/test-app';

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A pipeline stage that only records which events reached the pipeline steps. */
class RecordingStep extends PipelineStepCommand {}
const reachedSteps: string[] = [];
@CommandHandler(RecordingStep)
class RecordingStepHandler implements ICommandHandler<RecordingStep> {
  execute(step: RecordingStep): Promise<void> {
    reachedSteps.push(...step.events.map((e) => e.id));
    return Promise.resolve();
  }
}

/** Every test speaks from its own client IP (X-Forwarded-For from loopback is trusted), so the
 * per-IP rate limits of one test never touch another. */
let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('browser endpoint /e/{publicKey}', () => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    PIPELINE_STEPS.push(RecordingStep);
    t = await startTestApp();
    t.app.get(CommandBus).register([
      {
        metatype: RecordingStepHandler,
        instance: new RecordingStepHandler(),
        isDependencyTreeStatic: () => true,
      },
    ] as never);
    redis = new Redis(t.config.redisUrl);
  });
  afterAll(async () => {
    PIPELINE_STEPS.splice(PIPELINE_STEPS.indexOf(RecordingStep), 1);
    redis.disconnect();
    await t.close();
  });

  interface Hit {
    ip?: string;
    ua?: string | null;
    cookie?: string;
    origin?: string;
    proto?: string;
  }
  const post = (app: TestApp, key: string, body: object | string, h: Hit = {}) => {
    let req = app
      .http()
      .post(`/e/${key}`)
      .set('X-Forwarded-For', h.ip ?? nextIp());
    if (h.ua !== null) req = req.set('User-Agent', h.ua ?? CHROME);
    if (h.cookie) req = req.set('Cookie', h.cookie);
    if (h.origin) req = req.set('Origin', h.origin);
    if (h.proto) req = req.set('X-Forwarded-Proto', h.proto);
    return typeof body === 'string'
      ? req.set('Content-Type', 'text/plain').send(body)
      : req.send(body);
  };
  const events = async (sourceId: string): Promise<EventView[]> =>
    (await t.admin.get(`/admin/events?sourceId=${sourceId}&limit=500`)).body.items;
  const waitForEvents = (sourceId: string, n: number) =>
    eventually(
      async () => {
        const items = await events(sourceId);
        return items.length >= n ? items : null;
      },
      { what: `${n} events of ${sourceId}` },
    );
  const visitorCookie = (res: { headers: Record<string, unknown> }): string | undefined => {
    const all = (res.headers['set-cookie'] as string[] | undefined) ?? [];
    return all.find((c) => c.startsWith('tk_aid='));
  };
  const cookieValue = (setCookie: string) => setCookie.split(';')[0].slice('tk_aid='.length);

  it('stores a pageview as a Segment page, sets the visitor cookie and enriches it', async () => {
    const s = await t.createSource();
    const res = await post(
      t,
      s.publicKey,
      {
        type: 'pageview',
        url: 'https://shop.example/products/widget?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=Cj0KCQ-x_Y&li_fat_id=L1',
        referrer: 'https://google.com/search',
        title: 'Widget',
      },
      { ip: '8.8.8.8' },
    );
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ success: true });
    const setCookie = visitorCookie(res)!;
    expect(setCookie).toBeDefined();
    const id = cookieValue(setCookie);
    expect(id).toMatch(UUID_V4);
    expect(setCookie).toMatch(/; Max-Age=31536000;/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toMatch(/Domain=/);

    const [e] = await waitForEvents(s.id, 1);
    expect(e).toMatchObject({
      type: 'page',
      anonymousId: id,
      userId: null,
      bot: false,
      properties: {
        url: expect.stringContaining('/products/widget?'),
        path: '/products/widget',
        referrer: 'https://google.com/search',
        title: 'Widget',
      },
      context: {
        ip: '8.8.8.8',
        userAgent: CHROME,
        page: { path: '/products/widget', referrer: 'https://google.com/search', title: 'Widget' },
        campaign: { source: 'google', medium: 'cpc', name: 'spring' },
        clickIds: { gclid: 'Cj0KCQ-x_Y', li_fat_id: 'L1' },
      },
      enrichment: {
        channel: 'pixel',
        anonymousIdSource: 'new',
        userAgent: {
          browser: { name: 'Chrome' },
          os: { name: 'macOS' },
          device: { type: 'desktop' },
        },
        geo: { country: 'US' },
      },
    });
  });

  it('reads the cookie back: the same visitor keeps its id, and the cookie is renewed', async () => {
    const s = await t.createSource();
    const first = await post(t, s.publicKey, { type: 'pageview', url: 'https://shop.example/' });
    const id = cookieValue(visitorCookie(first)!);
    const second = await post(
      t,
      s.publicKey,
      {
        type: 'event',
        url: 'https://shop.example/cart',
        name: 'add_to_cart',
        data: { sku: 'W-1', value: 9.5 },
      },
      { cookie: `other=1; tk_aid=${id}` },
    );
    expect(second.status).toBe(202);
    expect(cookieValue(visitorCookie(second)!)).toBe(id);
    const items = await waitForEvents(s.id, 2);
    const track = items.find((e) => e.type === 'track')!;
    expect(track).toMatchObject({
      anonymousId: id,
      event: 'add_to_cart',
      properties: { sku: 'W-1', value: 9.5 },
      context: { page: { url: 'https://shop.example/cart', path: '/cart' } },
      enrichment: { anonymousIdSource: 'cookie' },
    });
    // A cookie that is not a UUID was not set by us: a new id replaces it.
    const forged = await post(
      t,
      s.publicKey,
      { type: 'pageview', url: '/' },
      { cookie: 'tk_aid=<script>' },
    );
    expect(cookieValue(visitorCookie(forged)!)).toMatch(UUID_V4);
  });

  it('honours a tk_aid parameter in the page url (cross-domain links) and adopts it as the cookie', async () => {
    const s = await t.createSource();
    const linked = '0b7f3c2e-8d1a-4f5b-9c3d-2e1f0a9b8c7d';
    const res = await post(
      t,
      s.publicKey,
      { type: 'pageview', url: `https://shop.example.io/landing?tk_aid=${linked}` },
      { cookie: 'tk_aid=11111111-2222-4333-8444-555555555555' },
    );
    expect(res.status).toBe(202);
    expect(cookieValue(visitorCookie(res)!)).toBe(linked);
    const [e] = await waitForEvents(s.id, 1);
    expect(e.anonymousId).toBe(linked);
    expect(e.enrichment.anonymousIdSource).toBe('url');
    // Anything but a UUID in the parameter is ignored.
    const bad = await post(t, s.publicKey, { type: 'pageview', url: '/x?tk_aid=someone-else' });
    expect(cookieValue(visitorCookie(bad)!)).toMatch(UUID_V4);
  });

  it('sets the cookie for the source cookie domain, and Secure over HTTPS (via a trusted proxy)', async () => {
    const s = await t.createSource({ name: 'sub', cookieDomain: '.example.com' });
    const res = await post(
      t,
      s.publicKey,
      { type: 'pageview', url: 'https://www.example.com/' },
      { proto: 'https' },
    );
    const setCookie = visitorCookie(res)!;
    expect(setCookie).toMatch(/; Domain=\.example\.com/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
  });

  it('cookieless sources: no cookie, a daily salted hash of (source, IP, UA), stable within the day', async () => {
    const a = await t.createSource({ name: 'a', cookieless: true });
    const b = await t.createSource({ name: 'b', cookieless: true });
    const ip = nextIp();
    const page = { type: 'pageview', url: 'https://shop.example/' };
    const r1 = await post(t, a.publicKey, page, { ip });
    const r2 = await post(t, a.publicKey, { ...page, url: 'https://shop.example/2' }, { ip });
    const r3 = await post(t, b.publicKey, page, { ip });
    const r4 = await post(t, a.publicKey, page, { ip: nextIp() });
    const r5 = await post(t, a.publicKey, page, { ip, ua: CHROME.replace('126', '127') });
    for (const r of [r1, r2, r3, r4, r5]) {
      expect(r.status).toBe(202);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const [ea, eb] = [await waitForEvents(a.id, 4), await waitForEvents(b.id, 1)];
    const byUrlAndIp = (items: EventView[], url: string, who: string, ua = CHROME) =>
      items.find(
        (e) => e.context.ip === who && e.properties.url === url && e.context.userAgent === ua,
      )!;
    const first = byUrlAndIp(ea, page.url, ip);
    const again = byUrlAndIp(ea, 'https://shop.example/2', ip);
    expect(first.anonymousId).toMatch(/^[0-9a-f]{32}$/);
    expect(again.anonymousId).toBe(first.anonymousId);
    expect(first.enrichment.anonymousIdSource).toBe('cookieless-hash');
    expect(eb[0].anonymousId).not.toBe(first.anonymousId);
    expect(ea.find((e) => e.context.ip !== ip)!.anonymousId).not.toBe(first.anonymousId);
    expect(byUrlAndIp(ea, page.url, ip, CHROME.replace('126', '127')).anonymousId).not.toBe(
      first.anonymousId,
    );

    // The salt is today's, shared through Redis under the service's prefix (so every API process
    // computes the same id), and expires: tomorrow's ids cannot be linked to today's.
    const day = new Date().toISOString().slice(0, 10);
    const saltKey = `${t.config.redisPrefix}:cookieless-salt:${day}`;
    const salt = await redis.get(saltKey);
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    expect(await redis.ttl(saltKey)).toBeGreaterThan(24 * 3600);
    const expected = createHash('sha256')
      .update(`${salt}\n${a.id}\n${ip}\n${CHROME}`)
      .digest('hex')
      .slice(0, 32);
    expect(first.anonymousId).toBe(expected);
  });

  it('holds the 32 KB limit to the body sent, not to the message built from it', async () => {
    const s = await t.createSource();
    // The url appears twice in the stored message (properties and context.page).
    const url = `https://shop.example/p?q=${'x'.repeat(7000)}`;
    const res = await post(t, s.publicKey, { type: 'pageview', url, referrer: url });
    expect(res.status).toBe(202);
    const tooBig = await post(t, s.publicKey, {
      type: 'pageview',
      url: `${url}${'y'.repeat(33_000)}`,
    });
    expect(tooBig.status).toBe(413);
  });

  it('answers 400 naming the field (the hit kept as rejected) and 404 for an unknown key', async () => {
    const s = await t.createSource();
    const cases: Array<[object | string, RegExp]> = [
      [{ url: '/' }, /^type is required/],
      [{ type: 'click', url: '/' }, /^type must be "pageview" or "event"/],
      [{ type: 'pageview' }, /^url is required$/],
      [{ type: 'pageview', url: 'not a url' }, /^url must be/],
      [{ type: 'event', url: '/' }, /^name is required/],
      [{ type: 'event', url: '/', name: 'x', data: 'y' }, /^data must be an object$/],
      ['{not json', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const res = await post(t, s.publicKey, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(message),
      });
    }
    // Hits that were JSON but not a valid hit are kept with their reason, like rejected messages.
    const rejected = (await t.admin.get(`/admin/rejected-events?sourceId=${s.id}`)).body.items;
    expect(rejected).toHaveLength(cases.length - 1);
    expect(rejected.map((r: { errors: string[] }) => r.errors[0])).toContain('url is required');
    expect(rejected.map((r: { payload: unknown }) => r.payload)).toContainEqual({
      type: 'click',
      url: '/',
    });
    const unknown = await post(t, 'pk_does_not_exist', { type: 'pageview', url: '/' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: expect.stringContaining('public key'),
    });
    // text/plain bodies (sendBeacon) are JSON too.
    const beacon = await post(t, s.publicKey, JSON.stringify({ type: 'pageview', url: '/beacon' }));
    expect(beacon.status).toBe(202);
    expect((await waitForEvents(s.id, 1)).map((e) => e.properties.url)).toEqual(['/beacon']);
  });

  it('CORS: echoes allowed origins with credentials, answers preflights, refuses other origins', async () => {
    const s = await t.createSource({ name: 'cors', allowedOrigins: ['https://shop.example'] });
    const open = await t.createSource({ name: 'open' });
    const page = { type: 'pageview', url: 'https://shop.example/' };

    const ok = await post(t, s.publicKey, page, { origin: 'https://shop.example' });
    expect(ok.status).toBe(202);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(ok.headers.vary).toMatch(/Origin/);

    const denied = await post(t, s.publicKey, page, { origin: 'https://evil.example' });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'origin https://evil.example is not allowed for this source',
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await t
      .http()
      .options(`/e/${s.publicKey}`)
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');

    const deniedPreflight = await t
      .http()
      .options(`/e/${s.publicKey}`)
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(deniedPreflight.status).toBe(403);
    expect(deniedPreflight.headers['access-control-allow-origin']).toBeUndefined();

    const unknownPreflight = await t
      .http()
      .options('/e/pk_nope')
      .set('Origin', 'https://shop.example');
    expect(unknownPreflight.status).toBe(404);

    // No allowed origins configured: every origin is allowed.
    const any = await post(t, open.publicKey, page, { origin: 'https://anything.example' });
    expect(any.status).toBe(202);
    expect(any.headers['access-control-allow-origin']).toBe('https://anything.example');
    // Server-to-server calls (no Origin) are not CORS and need no headers.
    const server = await post(t, s.publicKey, page);
    expect(server.status).toBe(202);
    expect(server.headers['access-control-allow-origin']).toBeUndefined();

    const stored = await waitForEvents(s.id, 2);
    expect(stored).toHaveLength(2); // the refused one was never stored
  });

  it('applies the same per-source CORS to the Koala browser routes /web/projects/{publicKey}/...', async () => {
    const s = await t.createSource({ name: 'koala', allowedOrigins: ['https://app.example'] });
    const preflight = await t
      .http()
      .options(`/web/projects/${s.publicKey}/batch`)
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const denied = await t
      .http()
      .post(`/web/projects/${s.publicKey}/accounts/batch`)
      .set('Origin', 'https://evil.example')
      .send({ domain: 'x.example' });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('origin https://evil.example is not allowed for this source');
  });

  it('stores bots (by user agent, or none) flagged, and they never reach the pipeline steps', async () => {
    const s = await t.createSource();
    const page = { type: 'pageview', url: 'https://shop.example/' };
    expect(
      (await post(t, s.publicKey, { ...page, title: 'crawler' }, { ua: GOOGLEBOT })).status,
    ).toBe(202);
    expect((await post(t, s.publicKey, { ...page, title: 'no ua' }, { ua: null })).status).toBe(
      202,
    );
    expect((await post(t, s.publicKey, { ...page, title: 'human' })).status).toBe(202);
    const items = await waitForEvents(s.id, 3);
    const byTitle = (title: string) => items.find((e) => e.properties.title === title)!;
    expect(byTitle('crawler').bot).toBe(true);
    expect(byTitle('no ua').bot).toBe(true);
    expect(byTitle('human').bot).toBe(false);

    // Wait until the pipeline has taken every one of the three events (dispatched and its job done),
    // then only the human may have reached the steps.
    const db = t.app.get(DataSource);
    const queue = t.app.get<Queue>(getQueueToken(PIPELINE_QUEUE));
    await eventually(() => reachedSteps.includes(byTitle('human').id), {
      what: 'the human event in the steps',
    });
    await eventually(
      async () => {
        const rows: Array<{ id: string; dispatched_at: Date | null }> = await db.query(
          'SELECT id, dispatched_at FROM events WHERE source_id = ?',
          [s.id],
        );
        if (rows.some((r) => !r.dispatched_at)) return false;
        const jobs = await queue.getJobs(['waiting', 'active', 'delayed']);
        return !jobs.some((j) => items.some((e) => (j.data.eventIds as string[]).includes(e.id)));
      },
      { what: 'the bot events to pass through the pipeline queue' },
    );
    expect(reachedSteps).not.toContain(byTitle('crawler').id);
    expect(reachedSteps).not.toContain(byTitle('no ua').id);
  });

  it('enrichment fills only empty context fields on the Segment routes too, never what the caller sent', async () => {
    const s = await t.createSource();
    const callerContext = {
      ip: '198.51.100.77',
      userAgent: CHROME,
      page: { url: 'https://shop.example/?utm_source=url_source&gclid=URL_GCLID&fbclid=URL_FB' },
      campaign: { source: 'caller_source' },
      clickIds: { gclid: 'CALLER_GCLID' },
    };
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(s.writeKey))
      .set('User-Agent', 'analytics-node-next/latest')
      .send({
        batch: [
          { type: 'track', event: 'Kept', userId: 'u1', context: callerContext },
          {
            type: 'page',
            userId: 'u2',
            context: { page: { url: 'https://shop.example/?utm_medium=email&msclkid=MS1' } },
          },
        ],
      });
    expect(res.status).toBe(200);
    const items = await waitForEvents(s.id, 2);
    const kept = items.find((e) => e.event === 'Kept')!;
    expect(kept.context).toEqual(callerContext);
    expect(kept.bot).toBe(false);
    expect(kept.enrichment).toMatchObject({
      channel: 'segment',
      userAgent: { browser: { name: 'Chrome' } },
    });
    const filled = items.find((e) => e.type === 'page')!;
    expect(filled.context.campaign).toEqual({ medium: 'email' });
    expect(filled.context.clickIds).toEqual({ msclkid: 'MS1' });
    // The server library's own User-Agent fills the empty field but does not make the user a bot.
    expect(filled.context.userAgent).toBe('analytics-node-next/latest');
    expect(filled.bot).toBe(false);
  });

  it('does not rate-limit the write-key routes per IP', async () => {
    const s = await t.createSource();
    const ip = nextIp();
    const statuses = await Promise.all(
      Array.from({ length: 70 }, (_, i) =>
        t
          .http()
          .post('/v1/track')
          .set('Authorization', basic(s.writeKey))
          .set('X-Forwarded-For', ip)
          .send({ event: 'E', userId: `u${i}` })
          .then((r) => r.status),
      ),
    );
    expect(statuses.every((st) => st === 200)).toBe(true);
  });

  describe('rate limits', () => {
    it('holds 60 per 10 s per IP across two API processes sharing Redis, with 429 and Retry-After', async () => {
      const t2 = await startAppWithConfig(t.config);
      try {
        const s = await t.createSource();
        const ip = nextIp();
        const page = { type: 'pageview', url: 'https://shop.example/' };
        const first = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            post(i % 2 ? t2 : t, s.publicKey, page, { ip }).then((r) => r.status),
          ),
        );
        expect(first.filter((st) => st === 202)).toHaveLength(60);
        for (const app of [t, t2]) {
          const limited = await post(app, s.publicKey, page, {
            ip,
            origin: 'https://shop.example',
          });
          expect(limited.status).toBe(429);
          // A page's script can read the 429 and its Retry-After: CORS headers come first.
          expect(limited.headers['access-control-allow-origin']).toBe('https://shop.example');
          expect(limited.body).toEqual({
            statusCode: 429,
            error: 'Too Many Requests',
            message: expect.stringContaining('at most 60 requests per 10 s'),
          });
          const retryAfter = Number(limited.headers['retry-after']);
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          expect(retryAfter).toBeLessThanOrEqual(10);
        }
        // Another client is not affected; the counter lives under the service's Redis prefix.
        expect((await post(t2, s.publicKey, page, { ip: nextIp() })).status).toBe(202);
        expect(await redis.exists(`${t.config.redisPrefix}:${rateLimitKey(ip, 'burst')}`)).toBe(1);
        expect(await waitForEvents(s.id, 61)).toHaveLength(61);
      } finally {
        await t2.close({ keepDatabase: true });
      }
    });

    it('shares one budget per IP between /e and the Koala browser routes', async () => {
      const s = await t.createSource();
      const ip = nextIp();
      const statuses = await Promise.all(
        Array.from({ length: 60 }, () =>
          post(t, s.publicKey, { type: 'pageview', url: 'https://shop.example/' }, { ip }).then(
            (r) => r.status,
          ),
        ),
      );
      expect(statuses.filter((st) => st === 202)).toHaveLength(60);
      const koala = await t
        .http()
        .post(`/web/projects/${s.publicKey}/batch`)
        .set('X-Forwarded-For', ip)
        .set(
          'User-Agent',
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
        )
        .send({
          profile_id: '3f0c2a44-8a4e-4b2a-9c1d-2f5e6a7b8c9d',
          events: [{ type: 'track', event: 'E' }],
        });
      expect(koala.status).toBe(429);
      expect(Number(koala.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });

    it('holds 5,000 per hour per IP', async () => {
      const s = await t.createSource();
      const ip = nextIp();
      // 5,000 earlier hits this hour, as the store counts them.
      await redis.set(`${t.config.redisPrefix}:${rateLimitKey(ip, 'hour')}`, 5000, 'PX', 3_600_000);
      const res = await post(t, s.publicKey, { type: 'pageview', url: '/' }, { ip });
      expect(res.status).toBe(429);
      expect(res.body.message).toContain('at most 5000 requests per 1 h');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000);
    });

    it('fails open when Redis is down: requests pass, events are stored', async () => {
      const deadRedis = {
        ...t.config,
        redisUrl: `redis://127.0.0.1:${await freePort()}`,
        role: 'api' as const,
      };
      const t3 = await startAppWithConfig(deadRedis);
      try {
        const s = await t.createSource();
        const cookieless = await t.createSource({ name: 'cl', cookieless: true });
        const ip = nextIp();
        const statuses: number[] = [];
        for (let i = 0; i < 65; i++) {
          statuses.push(
            (await post(t3, s.publicKey, { type: 'pageview', url: `/p${i}` }, { ip })).status,
          );
        }
        expect(statuses.every((st) => st === 202)).toBe(true);
        // The cookieless salt falls back to a process-local one: still answered and stored.
        expect(
          (await post(t3, cookieless.publicKey, { type: 'pageview', url: '/' }, { ip })).status,
        ).toBe(202);
        // Stored in MySQL; the running worker's sweeper hands them on later.
        expect(await waitForEvents(s.id, 65)).toHaveLength(65);
        expect((await waitForEvents(cookieless.id, 1))[0].anonymousId).toMatch(/^[0-9a-f]{32}$/);
      } finally {
        await t3.close({ keepDatabase: true });
      }
    });
  });
});
