import { randomUUID } from 'node:crypto';
import { basic, eventually, startTestApp, TestApp } from './support/test-app';

/**
 * Koala's server-side callers forward the visitor's browser User-Agent; a library's own (axios, curl)
 * is a bot's to the Enricher, like a missing one.
 */
const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

describe('accounts and the Koala-compatible API', () => {
  let t: TestApp;
  let source: { id: string; writeKey: string; publicKey: string };

  beforeAll(async () => {
    t = await startTestApp();
    source = await t.createSource({ name: 'koala test' });
  });
  afterAll(() => t.close());

  /** A Koala call with the write key; `ua: null` leaves the User-Agent header out. */
  const koala = (path: string, body: unknown, opts: { ua?: string | null; key?: string } = {}) => {
    const req = t
      .http()
      .post(path)
      .set('Authorization', basic(opts.key ?? source.writeKey))
      .set('Content-Type', 'application/json');
    if (opts.ua !== null) req.set('User-Agent', opts.ua ?? UA);
    return req.send(JSON.stringify(body));
  };

  const events = async (query: string) => {
    const res = await t.admin.get(`/admin/events?sourceId=${source.id}&limit=500&${query}`);
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, any>>;
  };

  const account = (query: string) => t.admin.get(`/admin/accounts?${query}`);

  const uniqueDomain = (name: string) => `${name}-${randomUUID().slice(0, 8)}.com`;

  describe('POST /batch', () => {
    it('stores the seed request shape as track, identify and page messages', async () => {
      const profileId = randomUUID();
      const res = await koala('/batch', {
        profile_id: profileId,
        email: 'jane@example-co.com',
        identifies: [
          {
            type: 'identify',
            traits: { name: 'Jane', plan: 'pro' },
            sent_at: '2024-05-01T10:00:00Z',
          },
        ],
        events: [
          {
            message_id: `m-${profileId}`,
            type: 'track',
            event: 'Signed Up',
            properties: { plan: 'pro' },
            sent_at: '2024-05-01T10:00:01Z',
          },
        ],
        page_views: [
          {
            url: 'https://example-co.com/pricing?utm_source=news',
            referrer: 'https://google.com/',
            title: 'Pricing',
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, accepted: 3, duplicates: 0, rejected: [] });

      const stored = await events(`anonymousId=${profileId}`);
      expect(stored).toHaveLength(3);
      const byType = Object.fromEntries(stored.map((e) => [e.type, e]));
      expect(byType.track).toMatchObject({
        messageId: `m-${profileId}`,
        event: 'Signed Up',
        properties: { plan: 'pro' },
        anonymousId: profileId,
        userId: null,
        timestamp: '2024-05-01T10:00:01.000Z',
        bot: false,
      });
      expect(byType.track.context.traits).toEqual({ email: 'jane@example-co.com' });
      expect(byType.track.context.userAgent).toBe(UA);
      expect(byType.track.enrichment.channel).toBe('koala');
      expect(byType.identify).toMatchObject({
        traits: { name: 'Jane', plan: 'pro', email: 'jane@example-co.com' },
        timestamp: '2024-05-01T10:00:00.000Z',
      });
      expect(byType.page.properties).toEqual({
        url: 'https://example-co.com/pricing?utm_source=news',
        referrer: 'https://google.com/',
        title: 'Pricing',
      });
      expect(byType.page.context.page).toEqual(byType.page.properties);
    });

    it('identifies with the bare-bones { profile_id, email } body, once however often it is sent', async () => {
      const profileId = randomUUID();
      const body = { profile_id: profileId, email: 'sam@bare-bones.io' };
      const first = await koala('/batch', body);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ accepted: 1, duplicates: 0 });
      const again = await koala('/batch', body);
      expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
      const stored = await events(`anonymousId=${profileId}`);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ type: 'identify', traits: { email: 'sam@bare-bones.io' } });
    });

    it('accepts email alone as the identifier', async () => {
      const res = await koala('/batch', {
        email: 'only-email@mail-only.dev',
        events: [{ event: 'Report Exported', properties: { rows: 10 } }],
      });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(2);
      const stored = (await events('type=track&event=Report%20Exported')).filter(
        (e) => e.context.traits?.email === 'only-email@mail-only.dev',
      );
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ userId: null, anonymousId: null });
    });

    it('treats message_id as an idempotency key', async () => {
      const profileId = randomUUID();
      const body = { profile_id: profileId, events: [{ message_id: 'dup-1', event: 'Clicked' }] };
      expect((await koala('/batch', body)).body).toMatchObject({ accepted: 1, duplicates: 0 });
      expect((await koala('/batch', body)).body).toMatchObject({ accepted: 0, duplicates: 1 });
      expect(await events(`anonymousId=${profileId}`)).toHaveLength(1);
    });

    it('rejects bad entries one by one, naming the list, the position and the field', async () => {
      const profileId = randomUUID();
      const res = await koala('/batch', {
        profile_id: profileId,
        events: [
          { event: 'Good' },
          { properties: {} },
          { event: 'Bad time', sent_at: 'yesterday' },
          { event: 'Wrong type', type: 'page' },
          { event: 'Somebody else', profile_id: randomUUID() },
        ],
        page_views: [{ title: 'no url' }, 'not an object'],
        identifies: [{ traits: 'nope' }],
      });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
      const rejected = res.body.rejected as Array<{
        list: string;
        index: number;
        errors: string[];
      }>;
      const errorsOf = (list: string, index: number) =>
        rejected.find((r) => r.list === list && r.index === index)?.errors.join('; ');
      expect(rejected).toHaveLength(7);
      expect(errorsOf('events', 1)).toContain('events[1].event is required');
      expect(errorsOf('events', 2)).toContain('events[2].sent_at is not an ISO 8601 time');
      expect(errorsOf('events', 3)).toContain('events[3].type must be "track"');
      expect(errorsOf('events', 4)).toContain('one person per request');
      expect(errorsOf('page_views', 0)).toContain('page_views[0].url is required');
      expect(errorsOf('page_views', 1)).toContain('page_views[1] must be a JSON object');
      expect(errorsOf('identifies', 0)).toContain('identifies[0].traits must be an object');

      // Nothing is silently lost: the rejects are kept with the entry exactly as sent.
      const kept = await t.admin.get(`/admin/rejected-events?sourceId=${source.id}&limit=500`);
      const payloads = kept.body.items.map((r: { payload: unknown }) => r.payload);
      expect(payloads).toContainEqual({ event: 'Bad time', sent_at: 'yesterday' });
      expect(payloads).toContainEqual({ title: 'no url' });
    });

    it.each([
      [{}, 'profile_id or email is required'],
      [{ events: [{ event: 'x' }] }, 'profile_id or email is required'],
      [{ profile_id: 'abc' }, 'profile_id must be a UUID v4'],
      // A UUID, but v7 (the server's own ids), not the v4 Koala's ko_id cookie holds.
      [{ profile_id: '0192b3a4-5c6d-7e8f-9a0b-1c2d3e4f5a6b' }, 'profile_id must be a UUID v4'],
      [{ profile_id: 42 }, 'profile_id must be a UUID v4'],
      [{ email: 'not-an-email' }, 'email must be an email address'],
      [{ email: ['a@b.com'] }, 'email must be an email address'],
      [{ profile_id: randomUUID(), events: { event: 'x' } }, 'events must be an array'],
      [{ profile_id: randomUUID(), identifies: 'x' }, 'identifies must be an array'],
    ])('answers 400 to %j', async (body, message) => {
      const res = await koala('/batch', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toContain(message);
    });

    it.each(['events', 'identifies', 'page_views'])('allows 30 %s and refuses 31', async (list) => {
      const entry =
        list === 'events'
          ? { event: 'E' }
          : list === 'identifies'
            ? { traits: { a: 1 } }
            : { url: 'https://x.io/' };
      const ok = await koala('/batch', { profile_id: randomUUID(), [list]: Array(30).fill(entry) });
      expect(ok.status).toBe(200);
      expect(ok.body.accepted).toBe(30);
      const res = await koala('/batch', {
        profile_id: randomUUID(),
        [list]: Array(31).fill(entry),
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(`${list} holds 31 entries; at most 30 are allowed per request`);
    });

    it('answers 400 to a body that is not JSON, 401 without or with a wrong key', async () => {
      const notJson = await t
        .http()
        .post('/batch')
        .set('Authorization', basic(source.writeKey))
        .set('Content-Type', 'application/json')
        .send('{"profile_id":');
      expect(notJson.status).toBe(400);
      expect(notJson.body.message).toContain('not valid JSON');
      const noKey = await t.http().post('/batch').send({ profile_id: randomUUID() });
      expect(noKey.status).toBe(401);
      expect(noKey.headers['www-authenticate']).toContain('Basic');
      const wrongKey = await koala('/batch', { profile_id: randomUUID() }, { key: 'wk_nope' });
      expect(wrongKey.status).toBe(401);
    });

    it('stores a request without User-Agent flagged as a bot and never processes it', async () => {
      const botDomain = uniqueDomain('botcorp');
      const profileId = randomUUID();
      const res = await koala(
        '/batch',
        { profile_id: profileId, email: `ann@${botDomain}`, events: [{ event: 'Bot Visit' }] },
        { ua: null },
      );
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(2);
      const stored = await events(`anonymousId=${profileId}`);
      expect(stored.map((e) => e.bot)).toEqual([true, true]);
      expect(stored[0].context.userAgent).toBeUndefined();

      // A control request sent after it, with a User-Agent, is processed; the bot's never is.
      const humanDomain = uniqueDomain('humancorp');
      await koala('/batch', { profile_id: randomUUID(), email: `bo@${humanDomain}` });
      await eventually(async () => (await account(`domain=${humanDomain}`)).status === 200, {
        what: 'the control account',
      });
      expect((await account(`domain=${botDomain}`)).status).toBe(404);
    });

    it('makes a company email domain an account, never a free-mail or disposable one', async () => {
      const company = uniqueDomain('initrode');
      for (const email of [
        'free@gmail.com',
        'x@outlook.com',
        'y@yahoo.com',
        'z@mailinator.com',
        `kim@${company}`,
      ]) {
        const res = await koala('/batch', { profile_id: randomUUID(), email });
        expect(res.status).toBe(200);
      }
      await eventually(async () => (await account(`domain=${company}`)).status === 200, {
        what: 'the company account',
      });
      for (const free of ['gmail.com', 'outlook.com', 'yahoo.com', 'mailinator.com']) {
        expect((await account(`domain=${free}`)).status).toBe(404);
      }
    });
  });

  describe('POST /accounts/batch', () => {
    it('creates the account from the seed request shape and stores its events', async () => {
      const domain = uniqueDomain('getkoala');
      const res = await koala('/accounts/batch', {
        domain: `https://www.${domain.toUpperCase()}/pricing`,
        identifies: [
          {
            type: 'identify',
            traits: { plan: 'enterprise', seats: 25 },
            sent_at: '2024-06-01T00:00:00Z',
          },
        ],
        events: [
          {
            message_id: `acct-${domain}`,
            type: 'track',
            event: 'Plan Upgraded',
            properties: { to: 'enterprise' },
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, accepted: 2, duplicates: 0, rejected: [] });
      expect(res.body.account).toMatchObject({ domain, accountId: null });

      const got = await account(`domain=${domain}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({
        id: res.body.account.id,
        domain,
        accountId: null,
        traits: { plan: 'enterprise', seats: 25 },
        groups: [],
        profileCount: 0,
      });
      expect((await t.admin.get(`/admin/accounts/${res.body.account.id}`)).body).toEqual(got.body);

      const stored = (await events('')).filter((e) => e.accountId === res.body.account.id);
      const byType = Object.fromEntries(stored.map((e) => [e.type, e]));
      expect(Object.keys(byType).sort()).toEqual(['group', 'track']);
      expect(byType.track).toMatchObject({
        event: 'Plan Upgraded',
        messageId: `acct-${domain}`,
        userId: null,
        anonymousId: null,
      });
      expect(byType.group).toMatchObject({
        groupId: domain,
        traits: { plan: 'enterprise', seats: 25 },
      });
      expect(byType.track.enrichment.account).toEqual({ domain, accountId: null });
    });

    it('keeps traits per group_id (tenants of one company) and merges them onto the account', async () => {
      const domain = uniqueDomain('tenants');
      const res = await koala('/accounts/batch', {
        domain,
        identifies: [
          {
            traits: { group_id: 'dev-team', seats: 10, plan: 'team' },
            sent_at: '2024-01-01T00:00:00Z',
          },
          {
            traits: { group_id: 'marketing', seats: 3, region: 'eu' },
            sent_at: '2024-01-02T00:00:00Z',
          },
        ],
      });
      expect(res.status).toBe(200);
      const got = (await account(`domain=${domain}`)).body;
      expect(got.traits).toEqual({ seats: 3, plan: 'team', region: 'eu' });
      expect(got.groups).toEqual([
        { groupId: 'dev-team', traits: { seats: 10, plan: 'team' } },
        { groupId: 'marketing', traits: { seats: 3, region: 'eu' } },
      ]);

      // A later request for one tenant changes that tenant only (and the account).
      await koala('/accounts/batch', {
        domain,
        identifies: [
          { traits: { group_id: 'dev-team', seats: 12 }, sent_at: '2024-02-01T00:00:00Z' },
        ],
      });
      const after = (await account(`domain=${domain}`)).body;
      expect(after.groups).toEqual([
        { groupId: 'dev-team', traits: { seats: 12, plan: 'team' } },
        { groupId: 'marketing', traits: { seats: 3, region: 'eu' } },
      ]);
      expect(after.traits.seats).toBe(12);
    });

    it('lets the later sent_at win per trait, whatever order the requests arrive in', async () => {
      const domain = uniqueDomain('ordering');
      await koala('/accounts/batch', {
        domain,
        identifies: [{ traits: { plan: 'pro' }, sent_at: '2024-03-01T00:00:00Z' }],
      });
      await koala('/accounts/batch', {
        domain,
        identifies: [
          { traits: { plan: 'free', industry: 'saas' }, sent_at: '2024-01-01T00:00:00Z' },
        ],
      });
      expect((await account(`domain=${domain}`)).body.traits).toEqual({
        plan: 'pro',
        industry: 'saas',
      });
    });

    it('finds accounts by account_id and completes them with a domain later', async () => {
      const external = `crm-${randomUUID()}`;
      const first = await koala('/accounts/batch', {
        account_id: external,
        identifies: [{ traits: { tier: 1 } }],
      });
      expect(first.status).toBe(200);
      expect(first.body.account).toMatchObject({ accountId: external, domain: null });
      const domain = uniqueDomain('crm');
      const second = await koala('/accounts/batch', { account_id: external, domain });
      expect(second.body.account).toEqual({
        id: first.body.account.id,
        accountId: external,
        domain,
      });
      const got = await account(`accountId=${encodeURIComponent(external)}`);
      expect(got.body).toMatchObject({ id: first.body.account.id, domain, traits: { tier: 1 } });
      // The same company named by domain alone is the same account.
      const third = await koala('/accounts/batch', { domain: `WWW.${domain}` });
      expect(third.body.account.id).toBe(first.body.account.id);
    });

    it('makes one account when two requests create the same new domain at once', async () => {
      const domain = uniqueDomain('race');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          koala('/accounts/batch', {
            domain: i % 2 ? `https://${domain}/` : domain,
            identifies: [{ traits: { [`k${i}`]: i, group_id: `g${i % 2}` } }],
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      const ids = new Set(results.map((r) => r.body.account.id));
      expect(ids.size).toBe(1);
      const got = (await account(`domain=${domain}`)).body;
      expect(got.id).toBe([...ids][0]);
      // Every request's traits survived the concurrent merges.
      expect(Object.keys(got.traits).sort()).toEqual([
        'k0',
        'k1',
        'k2',
        'k3',
        'k4',
        'k5',
        'k6',
        'k7',
      ]);
      expect(got.groups.map((g: { groupId: string }) => g.groupId).sort()).toEqual(['g0', 'g1']);
    });

    it.each([
      [{}, 'domain or account_id is required'],
      [{ identifies: [{ traits: { a: 1 } }] }, 'domain or account_id is required'],
      [{ domain: 'not a domain' }, 'domain "not a domain" is not a domain name'],
      [{ domain: 'localhost' }, 'domain "localhost" is not a domain name'],
      [{ domain: '10.0.0.1' }, 'is not a domain name'],
      [{ domain: 42 }, 'domain is not a domain name'],
      [{ account_id: { id: 1 } }, 'account_id must be a non-empty string'],
      [
        { domain: 'acme.com', page_views: [{ url: 'https://acme.com' }] },
        'page_views are not accepted',
      ],
      [{ domain: 'acme.com', events: 'x' }, 'events must be an array'],
    ])('answers 400 to %j', async (body, message) => {
      const res = await koala('/accounts/batch', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(message);
    });

    it.each(['events', 'identifies'])('refuses 31 %s', async (list) => {
      const entry = list === 'events' ? { event: 'E' } : { traits: { a: 1 } };
      const res = await koala('/accounts/batch', {
        domain: uniqueDomain('limit'),
        [list]: Array(31).fill(entry),
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(`${list} holds 31 entries; at most 30 are allowed per request`);
    });

    it('rejects a bad identify without merging its traits', async () => {
      const domain = uniqueDomain('partial');
      const res = await koala('/accounts/batch', {
        domain,
        identifies: [{ traits: { good: true } }, { traits: { bad: true }, sent_at: 'soon' }],
      });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
      expect(res.body.rejected[0]).toMatchObject({ list: 'identifies', index: 1 });
      expect((await account(`domain=${domain}`)).body.traits).toEqual({ good: true });
    });

    it('refuses traits nested too deep for the database instead of failing the request', async () => {
      const domain = uniqueDomain('deep');
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < 40; i++) deep = { d: deep };
      const res = await koala('/accounts/batch', {
        domain,
        identifies: [{ traits: { deep } }, { traits: { shallow: true } }],
      });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
      expect(res.body.rejected[0]).toMatchObject({ list: 'identifies', index: 0 });
      expect(res.body.rejected[0].errors[0]).toContain('identifies[0].traits nest deeper than');
      expect((await account(`domain=${domain}`)).body.traits).toEqual({ shallow: true });
    });

    it('creates and changes nothing for a request without User-Agent, but keeps its events as bots', async () => {
      const domain = uniqueDomain('botaccount');
      const res = await koala(
        '/accounts/batch',
        {
          domain,
          identifies: [{ traits: { plan: 'x' } }],
          events: [{ event: 'Bot Account Event' }],
        },
        { ua: null },
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 2, account: null });
      expect((await account(`domain=${domain}`)).status).toBe(404);
      const stored = (await events('')).filter((e) => e.enrichment.account?.domain === domain);
      expect(stored.map((e) => e.bot)).toEqual([true, true]);
    });
  });

  describe('public-key routes /web/projects/{publicKey}/...', () => {
    it('accept the same bodies with the publishable key in the path', async () => {
      const profileId = randomUUID();
      const res = await t
        .http()
        .post(`/web/projects/${source.publicKey}/batch`)
        .set('User-Agent', UA)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ profile_id: profileId, events: [{ event: 'From Browser' }] }));
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
      expect((await events(`anonymousId=${profileId}`))[0]).toMatchObject({
        event: 'From Browser',
      });

      const domain = uniqueDomain('public');
      const acct = await t
        .http()
        .post(`/web/projects/${source.publicKey}/accounts/batch`)
        .set('User-Agent', UA)
        .send({ domain, identifies: [{ traits: { via: 'public' } }] });
      expect(acct.status).toBe(200);
      expect((await account(`domain=${domain}`)).body.traits).toEqual({ via: 'public' });
    });

    it("answer CORS for the source's allowed origins only", async () => {
      const site = await t.createSource({
        name: 'koala site',
        allowedOrigins: ['https://www.acme.com'],
      });
      const preflight = await t
        .http()
        .options(`/web/projects/${site.publicKey}/batch`)
        .set('Origin', 'https://www.acme.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://www.acme.com');
      const ok = await t
        .http()
        .post(`/web/projects/${site.publicKey}/accounts/batch`)
        .set('Origin', 'https://www.acme.com')
        .set('User-Agent', UA)
        .send({ domain: uniqueDomain('cors') });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://www.acme.com');
      const refused = await t
        .http()
        .post(`/web/projects/${site.publicKey}/batch`)
        .set('Origin', 'https://evil.example')
        .set('User-Agent', UA)
        .send({ profile_id: randomUUID(), events: [{ event: 'Nope' }] });
      expect(refused.status).toBe(403);
    });

    it('answer 404 to an unknown key and 400 to a bad body', async () => {
      const unknown = await t
        .http()
        .post('/web/projects/pk_unknown/batch')
        .send({ profile_id: randomUUID() });
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toContain('unknown public key');
      const bad = await t
        .http()
        .post(`/web/projects/${source.publicKey}/accounts/batch`)
        .send({ domain: 'nope' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('domain');
    });
  });

  describe('Segment group calls', () => {
    const group = (body: object) =>
      t.http().post('/v1/group').set('Authorization', basic(source.writeKey)).send(body);

    it('create the account from traits.website, keep the groupId as a group and as account id', async () => {
      const domain = uniqueDomain('globex');
      const orgId = `org-${randomUUID()}`;
      const res = await group({
        userId: 'u-globex-1',
        groupId: orgId,
        traits: { name: 'Globex', website: `https://www.${domain}/about`, employees: 120 },
        timestamp: '2024-04-01T00:00:00Z',
      });
      expect(res.status).toBe(200);
      const got = await eventually(async () => {
        const r = await account(`domain=${domain}`);
        return r.status === 200 ? r.body : null;
      });
      expect(got).toMatchObject({
        accountId: orgId,
        traits: { name: 'Globex', employees: 120 },
        groups: [{ groupId: orgId, traits: { name: 'Globex', employees: 120 } }],
      });

      // A second workspace of the same company: one more group, same account, account id unchanged.
      const second = `org-${randomUUID()}`;
      await group({ userId: 'u-globex-2', groupId: second, traits: { domain, plan: 'team' } });
      await eventually(async () => (await account(`domain=${domain}`)).body.groups.length === 2);
      const after = (await account(`domain=${domain}`)).body;
      expect(after.accountId).toBe(orgId);
      expect(after.groups.map((g: { groupId: string }) => g.groupId).sort()).toEqual(
        [orgId, second].sort(),
      );
      // The tenant's id finds its company too (e.g. a later Koala /accounts/batch with account_id).
      const viaTenant = await koala('/accounts/batch', { account_id: second });
      expect(viaTenant.body.account.id).toBe(after.id);
    });

    it('take the domain from the user email when the traits have none; free mail never counts', async () => {
      const domain = uniqueDomain('initech');
      const orgId = `org-${randomUUID()}`;
      await group({
        userId: 'u-initech',
        groupId: orgId,
        traits: { name: 'Initech' },
        context: { traits: { email: `peter@${domain}` } },
      });
      const got = await eventually(async () => {
        const r = await account(`domain=${domain}`);
        return r.status === 200 ? r.body : null;
      });
      expect(got.accountId).toBe(orgId);

      const freeOrg = `org-${randomUUID()}`;
      await group({
        userId: 'u-free',
        groupId: freeOrg,
        traits: { name: 'Side project', website: 'https://gmail.com' },
        context: { traits: { email: 'someone@gmail.com' } },
      });
      const byId = await eventually(async () => {
        const r = await account(`accountId=${freeOrg}`);
        return r.status === 200 ? r.body : null;
      });
      expect(byId).toMatchObject({ domain: null, traits: { name: 'Side project' } });
      expect((await account('domain=gmail.com')).status).toBe(404);
    });
  });

  describe('profiles and their accounts', () => {
    interface Profile {
      id: string;
      accounts: Array<{ id: string; domain: string | null; accountId: string | null }>;
    }
    const segment = (batch: object[]) =>
      t.http().post('/v1/batch').set('Authorization', basic(source.writeKey)).send({ batch });

    /** Polls until the identity's profile satisfies `ok` (resolution and linking run in the worker). */
    const profileWhen = (identity: string, ok: (p: Profile) => boolean) =>
      eventually(
        async () => {
          const r = await t.admin.get(`/admin/profiles?identity=${encodeURIComponent(identity)}`);
          return r.status === 200 && ok(r.body as Profile) ? (r.body as Profile) : null;
        },
        { what: `profile of ${identity}` },
      );

    it('links the profile of a Segment group call to the account, which counts it', async () => {
      const domain = uniqueDomain('hooli');
      const orgId = `org-${randomUUID()}`;
      const userId = `u-${randomUUID()}`;
      const res = await segment([
        { type: 'identify', userId, traits: { name: 'Gavin', email: 'gavin@gmail.com' } },
        { type: 'group', userId, groupId: orgId, traits: { name: 'Hooli', domain } },
      ]);
      expect(res.body.accepted).toBe(2);
      const profile = await profileWhen(`userId:${userId}`, (p) => p.accounts.length > 0);
      const acct = (await account(`domain=${domain}`)).body;
      expect(profile.accounts).toEqual([{ id: acct.id, domain, accountId: orgId }]);
      expect(acct.profileCount).toBe(1);
      const [groupEvent] = await events(`type=group&userId=${userId}`);
      expect(groupEvent).toMatchObject({ profileId: profile.id, accountId: acct.id });
      // The free-mail address did not make a gmail.com account on the side.
      expect((await account('domain=gmail.com')).status).toBe(404);
    });

    it('makes a Koala visitor with a company email join that account; free mail joins none', async () => {
      const domain = uniqueDomain('piedpiper');
      const richard = randomUUID();
      const jared = randomUUID();
      const free = randomUUID();
      await koala('/batch', { profile_id: richard, email: `richard@${domain}` });
      await koala('/batch', {
        profile_id: jared,
        identifies: [{ traits: { email: `jared@${domain}`, title: 'COO' } }],
      });
      await koala('/batch', { profile_id: free, email: 'erlich@hotmail.com' });
      const a = await profileWhen(`anonymousId:${richard}`, (p) => p.accounts.length > 0);
      const b = await profileWhen(`anonymousId:${jared}`, (p) => p.accounts.length > 0);
      expect(a.accounts).toEqual([expect.objectContaining({ domain })]);
      expect(b.accounts).toEqual(a.accounts);
      await eventually(async () => (await account(`domain=${domain}`)).body.profileCount === 2, {
        what: 'two profiles on the account',
      });
      const c = await profileWhen(`anonymousId:${free}`, () => true);
      expect(c.accounts).toEqual([]);
    });

    it('lists every account of a person, including those of merged profiles', async () => {
      const work = uniqueDomain('work');
      const side = uniqueDomain('side');
      const anon = randomUUID();
      const userId = `u-${randomUUID()}`;
      // Two people as far as identity knows: an anonymous visitor (company email) and a user.
      await koala('/batch', { profile_id: anon, email: `dana@${work}` });
      await segment([
        { type: 'group', userId, groupId: `g-${randomUUID()}`, traits: { domain: side } },
      ]);
      await profileWhen(`anonymousId:${anon}`, (p) => p.accounts.length === 1);
      await profileWhen(`userId:${userId}`, (p) => p.accounts.length === 1);
      // The user logs in on the visitor's browser: one person, both accounts.
      await segment([{ type: 'identify', userId, anonymousId: anon }]);
      const merged = await profileWhen(`userId:${userId}`, (p) => p.accounts.length === 2);
      expect(merged.accounts.map((x) => x.domain).sort()).toEqual([side, work].sort());
      const viaAnon = await profileWhen(`anonymousId:${anon}`, () => true);
      expect(viaAnon.id).toBe(merged.id);
      expect((await account(`domain=${work}`)).body.profileCount).toBe(1);
    });

    it("files the person's events under their account, later events included", async () => {
      const domain = uniqueDomain('later');
      const anon = randomUUID();
      await koala('/batch', { profile_id: anon, email: `lee@${domain}` });
      await profileWhen(`anonymousId:${anon}`, (p) => p.accounts.length === 1);
      const acct = (await account(`domain=${domain}`)).body;
      // No email and no group call in this one: the profile's account is what files it.
      const later = await koala('/batch', { profile_id: anon, events: [{ event: 'Came Back' }] });
      expect(later.body.accepted).toBe(1);
      const stored = await eventually(async () => {
        const items = await events(`anonymousId=${anon}`);
        return items.length === 2 && items.every((e) => e.accountId) ? items : null;
      });
      expect(stored.map((e) => e.accountId)).toEqual([acct.id, acct.id]);
    });
  });

  it('describes the routes in the OpenAPI document', async () => {
    const doc = await t.http().get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/batch',
        '/accounts/batch',
        '/web/projects/{publicKey}/batch',
        '/web/projects/{publicKey}/accounts/batch',
        '/admin/accounts',
        '/admin/accounts/{id}',
      ]),
    );
  });

  describe('GET /admin/accounts', () => {
    it('answers 404 to unknown accounts and 400 without a filter', async () => {
      expect((await t.admin.get(`/admin/accounts/${randomUUID()}`)).status).toBe(404);
      expect((await account(`accountId=nobody-${randomUUID()}`)).status).toBe(404);
      expect((await account(`domain=${uniqueDomain('nobody')}`)).status).toBe(404);
      const none = await t.admin.get('/admin/accounts');
      expect(none.status).toBe(400);
      expect(none.body.message).toContain('domain or accountId is required');
      const bad = await account('domain=not%20a%20domain');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('domain');
      expect((await t.http().get('/admin/accounts?domain=acme.com')).status).toBe(401);
    });
  });
});
