import { createConnection, type Connection } from 'mysql2/promise';
import { randomUUID } from 'node:crypto';
import { basic, eventually, startTestApp, startWorker, type TestApp } from './support/test-app';

interface Profile {
  id: string;
  identities: Array<{ type: string; value: string }>;
  traits: Record<string, unknown>;
  accounts: unknown[];
  attribution: { first: Record<string, unknown> | null; last: Record<string, unknown> | null };
  firstSeenAt: string;
  lastSeenAt: string;
  contestedBy?: string[];
}

const ids = (p: Profile) => p.identities.map((i) => `${i.type}:${i.value}`).sort();

describe('identity resolution (e2e)', () => {
  let t: TestApp;
  let writeKey: string;
  let db: Connection;

  beforeAll(async () => {
    t = await startTestApp();
    writeKey = (await t.createSource()).writeKey;
    db = await createConnection({ uri: t.config.databaseUrl });
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const send = async (...batch: object[]) => {
    const res = await t
      .http()
      .post('/v1/batch')
      .set('Authorization', basic(writeKey))
      .send({ batch });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([]);
    return res.body as { accepted: number };
  };

  const byIdentity = (identity: string) =>
    t.admin.get(`/admin/profiles?identity=${encodeURIComponent(identity)}`);

  /** Polls until the identity's profile satisfies `ok` (the worker resolves asynchronously). */
  const profileWhen = (identity: string, ok: (p: Profile) => boolean) =>
    eventually(
      async () => {
        const r = await byIdentity(identity);
        return r.status === 200 && ok(r.body as Profile) ? (r.body as Profile) : null;
      },
      { what: `profile of ${identity}` },
    );

  const eventsOf = async (query: string) =>
    (await t.admin.get(`/admin/events?${query}`)).body.items as Array<{
      id: string;
      userId: string | null;
      profileId: string | null;
    }>;

  it('links an anonymous visitor to the user they become, with traits and attribution', async () => {
    await send({
      type: 'page',
      anonymousId: 'anon-1',
      timestamp: '2026-11-20T10:00:00.000Z',
      context: {
        page: {
          url: 'https://shop.example/landing?utm_source=google&utm_campaign=black-friday&gclid=Cj0KAbC&fbclid=IwAR1-AbC_x',
          referrer: 'https://www.google.com/',
        },
        fbp: 'fb.1.1732000000000.123456',
      },
    });
    await send({
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      timestamp: '2026-11-20T10:05:00.000Z',
      traits: { email: '  Jane.Doe@Example.COM ', plan: 'pro' },
    });
    const p = await profileWhen('userId:user-1', (x) => x.identities.length === 3);
    expect(ids(p)).toEqual(['anonymousId:anon-1', 'email:jane.doe@example.com', 'userId:user-1']);
    expect(p.traits).toEqual({ email: '  Jane.Doe@Example.COM ', plan: 'pro' });
    expect(p.accounts).toEqual([]);
    expect(p.firstSeenAt).toBe('2026-11-20T10:00:00.000Z');
    expect(p.lastSeenAt).toBe('2026-11-20T10:05:00.000Z');
    expect(p.attribution.first).toMatchObject({
      campaign: { source: 'google', name: 'black-friday' },
      clickIds: { gclid: 'Cj0KAbC', fbclid: 'IwAR1-AbC_x' },
      referrer: 'https://www.google.com/',
      fbc: `fb.1.${Date.parse('2026-11-20T10:00:00.000Z')}.IwAR1-AbC_x`,
      fbp: 'fb.1.1732000000000.123456',
      at: '2026-11-20T10:00:00.000Z',
    });
    expect(p.attribution.last).toEqual(p.attribution.first);
    // The email is looked up normalised, as it was stored.
    expect((await byIdentity('email:JANE.DOE@example.com ')).body.id).toBe(p.id);
    const events = await eventsOf('anonymousId=anon-1');
    expect(events.map((e) => e.profileId)).toEqual([p.id, p.id]);
  });

  it('merges two devices of one person and answers a merged-away id with the survivor', async () => {
    await send({
      type: 'identify',
      anonymousId: 'laptop-2',
      traits: { email: 'sam@example.com', name: 'Sam' },
    });
    await send({ type: 'track', event: 'Opened App', userId: 'user-2', anonymousId: 'phone-2' });
    const laptop = await profileWhen('anonymousId:laptop-2', () => true);
    const phone = await profileWhen('userId:user-2', () => true);
    expect(laptop.id).not.toBe(phone.id);
    await send({ type: 'identify', userId: 'user-2', traits: { email: 'SAM@example.com' } });
    const merged = await profileWhen('anonymousId:laptop-2', (x) => x.identities.length === 4);
    expect(ids(merged)).toEqual([
      'anonymousId:laptop-2',
      'anonymousId:phone-2',
      'email:sam@example.com',
      'userId:user-2',
    ]);
    // The oldest profile survives; the other id now answers with it.
    expect(merged.id).toBe(laptop.id);
    const old = await t.admin.get(`/admin/profiles/${phone.id}`);
    expect(old.status).toBe(200);
    expect(old.body.id).toBe(merged.id);
    expect(merged.traits).toMatchObject({ name: 'Sam', email: 'SAM@example.com' });
    const events = await eventsOf('anonymousId=phone-2');
    expect(events[0].profileId).toBe(merged.id);
    const [audit] = await db.query(
      "SELECT from_profile_id AS f, into_profile_id AS i FROM profile_merges WHERE kind = 'merge' AND into_profile_id = ?",
      [merged.id],
    );
    expect(audit).toEqual([{ f: phone.id, i: merged.id }]);
  });

  it('links an alias previousId to the userId', async () => {
    await send({ type: 'track', event: 'Viewed', anonymousId: 'anon-3' });
    await send({ type: 'alias', userId: 'user-3', previousId: 'anon-3' });
    const p = await profileWhen('userId:user-3', (x) => x.identities.length === 2);
    expect(ids(p)).toEqual(['anonymousId:anon-3', 'userId:user-3']);
  });

  it('never treats the cookieless placeholder as an identity', async () => {
    await send(
      { type: 'identify', userId: 'user-4a', anonymousId: 'cookieless' },
      { type: 'identify', userId: 'user-4b', anonymousId: 'cookieless' },
      {
        type: 'track',
        event: 'Anonymous',
        anonymousId: 'cookieless',
        messageId: 'cookieless-only',
      },
    );
    const a = await profileWhen('userId:user-4a', () => true);
    const b = await profileWhen('userId:user-4b', () => true);
    expect(a.id).not.toBe(b.id);
    expect(ids(a)).toEqual(['userId:user-4a']);
    const bad = await byIdentity('anonymousId:cookieless');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('identity');
    const [rows] = await db.query(
      "SELECT profile_id FROM events WHERE message_id = 'cookieless-only'",
    );
    expect(rows).toEqual([{ profile_id: null }]);
  });

  it('keeps two userIds apart: an id seen with both belongs to neither, and the conflict is recorded', async () => {
    await send(
      {
        type: 'identify',
        userId: 'user-5a',
        anonymousId: 'shared-5',
        timestamp: '2026-11-20T10:00:00Z',
      },
      {
        type: 'track',
        event: 'Browsed',
        anonymousId: 'shared-5',
        timestamp: '2026-11-20T10:01:00Z',
      },
    );
    const first = await profileWhen('userId:user-5a', (x) => x.identities.length === 2);
    await send({
      type: 'identify',
      userId: 'user-5b',
      anonymousId: 'shared-5',
      timestamp: '2026-11-20T11:00:00Z',
      traits: { email: 'b5@example.com' },
    });
    const second = await profileWhen('userId:user-5b', (x) => x.identities.length === 2);
    // The message's own new identity goes with its userId; the shared one leaves user-5a too.
    expect(ids(second)).toEqual(['email:b5@example.com', 'userId:user-5b']);
    const a = await profileWhen('userId:user-5a', (x) => x.identities.length === 1);
    expect(a.id).toBe(first.id);
    const shared = await profileWhen('anonymousId:shared-5', () => true);
    expect(ids(shared)).toEqual(['anonymousId:shared-5']);
    expect(shared.contestedBy).toEqual(['user-5a', 'user-5b']);
    expect(second.contestedBy).toBeUndefined();
    expect(new Set([a.id, second.id, shared.id]).size).toBe(3);
    // Its anonymous event went with it; the identifies stay with their users.
    const events = await eventsOf('anonymousId=shared-5');
    const expectedProfile = { 'user-5a': a.id, 'user-5b': second.id };
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(e.profileId).toBe(
        e.userId ? expectedProfile[e.userId as keyof typeof expectedProfile] : shared.id,
      );
    }
    const [rows] = await db.query(
      "SELECT from_profile_id AS f, into_profile_id AS i, details FROM profile_merges WHERE kind = 'conflict' AND into_profile_id = ?",
      [shared.id],
    );
    const conflicts = rows as Array<{ f: string; i: string; details: unknown }>;
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0].f).toBe(first.id);
    const details =
      typeof conflicts[0].details === 'string'
        ? JSON.parse(conflicts[0].details)
        : conflicts[0].details;
    expect(details).toEqual({
      userIds: ['user-5a', 'user-5b'],
      identities: ['anonymousId:shared-5'],
    });
  });

  it('links devices through a verified phone number in any notation', async () => {
    await send({
      type: 'identify',
      userId: 'user-6',
      anonymousId: 'laptop-6',
      traits: { phone: '(415) 555-2671' },
    });
    await profileWhen('userId:user-6', () => true);
    await send({
      type: 'identify',
      anonymousId: 'phone-6',
      context: { traits: { phone: '+1 415-555-2671' } },
    });
    const p = await profileWhen('phone:415.555.2671', (x) => x.identities.length === 4);
    expect(ids(p)).toEqual([
      'anonymousId:laptop-6',
      'anonymousId:phone-6',
      'phone:+14155552671',
      'userId:user-6',
    ]);
  });

  it('lets the later message time win per trait, whatever the arrival order', async () => {
    await send({
      type: 'identify',
      userId: 'user-7',
      timestamp: '2026-11-20T12:00:00Z',
      traits: { plan: 'pro' },
    });
    await profileWhen('userId:user-7', () => true);
    await send({
      type: 'identify',
      userId: 'user-7',
      timestamp: '2026-11-20T09:00:00Z',
      traits: { plan: 'free', company: 'Acme' },
    });
    const p = await profileWhen('userId:user-7', (x) => x.traits.company === 'Acme');
    expect(p.traits).toEqual({ plan: 'pro', company: 'Acme' });
    expect(p.firstSeenAt).toBe('2026-11-20T09:00:00.000Z');
    expect(p.lastSeenAt).toBe('2026-11-20T12:00:00.000Z');
  });

  it('resolves the same identify sent 20 times at once to one profile', async () => {
    const message = {
      type: 'identify',
      userId: 'user-8',
      anonymousId: 'anon-8',
      traits: { email: 'e8@example.com' },
    };
    await Promise.all(Array.from({ length: 20 }, () => send(message)));
    await eventually(async () => {
      const events = await eventsOf('userId=user-8&limit=50');
      return events.length === 20 && events.every((e) => e.profileId !== null);
    });
    const events = await eventsOf('userId=user-8&limit=50');
    const p = await profileWhen('email:e8@example.com', () => true);
    expect(new Set(events.map((e) => e.profileId))).toEqual(new Set([p.id]));
    const [rows] = await db.query(
      "SELECT COUNT(*) AS n FROM profiles WHERE user_id = 'user-8' OR id IN (SELECT profile_id FROM identities WHERE value IN ('anon-8', 'e8@example.com'))",
    );
    expect(Number((rows as Array<{ n: number }>)[0].n)).toBe(1);
  });

  it('gives one graph when two worker processes resolve overlapping people at once', async () => {
    const second = await startWorker(t.config);
    try {
      const people = Array.from({ length: 8 }, (_, i) => `w-${i}`);
      const messages = people.flatMap((u, i) => [
        { type: 'track', event: 'Visit', anonymousId: `${u}-a` },
        { type: 'track', event: 'Visit', anonymousId: `${u}-b` },
        { type: 'identify', anonymousId: `${u}-a`, traits: { email: `${u}@example.com` } },
        { type: 'identify', anonymousId: `${u}-b`, traits: { email: `${u}@example.com` } },
        {
          type: 'identify',
          userId: u,
          anonymousId: `${u}-c`,
          traits: { phone: `+1 415 555 ${2600 + i}` },
        },
        {
          type: 'identify',
          anonymousId: `${u}-a`,
          context: { traits: { phone: `(415) 555-${2600 + i}` } },
        },
      ]);
      // Many small requests, shuffled: many pipeline jobs racing on both workers.
      const shuffled = messages
        .map((m) => ({ m: { ...m, messageId: randomUUID() }, k: Math.random() }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.m);
      const requests: object[][] = [];
      for (let i = 0; i < shuffled.length; i += 3) requests.push(shuffled.slice(i, i + 3));
      await Promise.all(requests.map((batch) => send(...batch)));
      const profiles = await Promise.all(
        people.map((u) => profileWhen(`userId:${u}`, (x) => x.identities.length === 6)),
      );
      profiles.forEach((p, i) => {
        const u = people[i];
        expect(ids(p)).toEqual(
          [
            `anonymousId:${u}-a`,
            `anonymousId:${u}-b`,
            `anonymousId:${u}-c`,
            `email:${u}@example.com`,
            `phone:+1415555${2600 + i}`,
            `userId:${u}`,
          ].sort(),
        );
      });
      expect(new Set(profiles.map((p) => p.id)).size).toBe(people.length);
      await eventually(async () => {
        const [rows] = await db.query(
          "SELECT COUNT(*) AS n FROM events WHERE (anonymous_id LIKE 'w-%' OR user_id LIKE 'w-%') AND (profile_id IS NULL OR profile_id NOT IN (SELECT profile_id FROM identities))",
        );
        return Number((rows as Array<{ n: number }>)[0].n) === 0;
      });
    } finally {
      await second.close();
    }
  });

  describe('admin routes', () => {
    it('answers 400 naming identity for a malformed or unknown identity', async () => {
      for (const q of ['nocolon', 'cookie:abc', 'email:', 'email:not-an-email', 'phone:12']) {
        const r = await byIdentity(q);
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        expect(r.body.message).toContain('identity');
      }
      const missing = await t.admin.get('/admin/profiles');
      expect(missing.status).toBe(400);
      expect(missing.body.message).toContain('identity');
    });

    it('answers 404 for an unknown identity or id, 401 without the token', async () => {
      expect((await byIdentity('email:nobody@example.com')).status).toBe(404);
      expect((await t.admin.get(`/admin/profiles/${randomUUID()}`)).status).toBe(404);
      expect((await t.http().get(`/admin/profiles/${randomUUID()}`)).status).toBe(401);
    });

    it('is described in the OpenAPI document', async () => {
      const doc = (await t.http().get('/docs-json')).body;
      expect(doc.paths['/admin/profiles/{id}'].get).toBeDefined();
      expect(
        doc.paths['/admin/profiles'].get.parameters.map((p: { name: string }) => p.name),
      ).toContain('identity');
    });
  });
});
