import { pool, postBatch, rng, webhookCluster } from './support/cluster';
import { eventually } from './support/test-app';

const MESSAGES = 3000;
const USERS = 100;
const BATCH = 40;
const BOT_UA = 'Googlebot/2.1 (+http://www.google.com/bot.html)';
const BROWSER_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

interface Msg {
  type: 'track';
  event: string;
  messageId: string;
  userId?: string;
  anonymousId: string;
  context?: Record<string, unknown>;
}

interface BatchAnswer {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}

/**
 * Scale-out (ARCHITECTURE invariants under two API and two worker processes on one MySQL and one
 * Redis): the same workload sent to both APIs at once, with the same messageIds racing each other and
 * client retries, stores one event per messageId, delivers every non-bot event, resolves every user
 * to one profile, and counts the public rate limit once across both APIs.
 */
describe('scale-out: two api and two worker processes', () => {
  const rig = webhookCluster({ apis: 2, workers: 2 });

  it('stores once, delivers every event, keeps identity and rate limits consistent', async () => {
    const { cluster, fake } = rig;
    const started = Date.now();
    const [apiA, apiB] = cluster.apis;
    const { source, dest } = await rig.createWebhookSource('scale-out hook', 'scale-out-secret');
    expect(dest.status).toBe(201);

    // Each user has three anonymous ids; a quarter of the messages carry only the anonymous id, so
    // the two workers race to merge anonymous profiles into the user's, in whatever order they run.
    const messages: Msg[] = Array.from({ length: MESSAGES }, (_, i) => {
      const u = i % USERS;
      const round = Math.floor(i / USERS);
      const m: Msg = {
        type: 'track',
        event: 'Scaled',
        messageId: `so-${i}`,
        anonymousId: `anon-${u}-${round % 3}`,
      };
      if (round % 4 !== 3) m.userId = `user-${u}`;
      if (i % 37 === 5) m.context = { userAgent: BOT_UA };
      return m;
    });
    const bots = new Set(messages.filter((m) => m.context).map((m) => m.messageId));

    // The sends: every batch to one API; a third of them to both APIs at the same instant (the two
    // INSERTs race on the same keys); batches cut at another offset to the other API (partly
    // overlapping messageIds in one insert); and a fifth re-sent once answered (a client retry),
    // in a shuffled but seeded order.
    const batches: Msg[][] = [];
    for (let i = 0; i < MESSAGES; i += BATCH) batches.push(messages.slice(i, i + BATCH));
    const random = rng(7);
    type Send = { batch: Msg[]; apis: string[]; retryOn?: string };
    const sends: Send[] = [];
    batches.forEach((batch, b) => {
      const [own, other] = b % 2 ? [apiA.url, apiB.url] : [apiB.url, apiA.url];
      sends.push({
        batch,
        apis: b % 3 === 0 ? [own, other] : [own],
        retryOn: b % 5 === 0 ? (b % 2 ? own : other) : undefined,
      });
      if (b % 4 === 1) {
        const start = b * BATCH + BATCH / 2;
        sends.push({ batch: messages.slice(start, start + BATCH), apis: [other] });
      }
    });
    for (let i = sends.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sends[i], sends[j]] = [sends[j], sends[i]];
    }

    const post = async (api: string, batch: Msg[]): Promise<BatchAnswer> => {
      const res = await postBatch(api, source.writeKey, batch);
      const body = await res.json();
      // No 503 either: a lock conflict between the two APIs is not a storage outage.
      expect({ status: res.status, body }).toMatchObject({ status: 200 });
      expect(body.rejected).toEqual([]);
      expect(body.accepted + body.duplicates).toBe(batch.length);
      return body as BatchAnswer;
    };
    const answers: BatchAnswer[] = [];
    const ingestStarted = Date.now();
    await pool(
      16,
      sends.map((s) => async () => {
        // The second of a racing pair sends the batch reversed, so the two inserts take their row
        // locks in opposite orders (interleaving, and InnoDB deadlocks, instead of simply queueing).
        const both = await Promise.all(
          s.apis.map((api, k) => post(api, k ? [...s.batch].reverse() : s.batch)),
        );
        answers.push(...both);
        if (s.retryOn) answers.push(await post(s.retryOn, s.batch));
      }),
    );
    const ingestMs = Date.now() - ingestStarted;
    const sent = answers.reduce((n, a) => n + a.accepted + a.duplicates, 0);
    const accepted = answers.reduce((n, a) => n + a.accepted, 0);
    // Every messageId was acknowledged as new exactly once over both APIs; the rest as duplicates.
    expect(accepted).toBe(MESSAGES);
    expect(sent - accepted).toBe(answers.reduce((n, a) => n + a.duplicates, 0));

    // Rate limits live in Redis: 60 hits from one address across both APIs, then the 61st is refused.
    const ip = `198.51.100.${1 + Math.floor(random() * 250)}`;
    const hit = (api: string, i: number) =>
      fetch(`${api}/e/${source.publicKey}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': BROWSER_UA,
          'X-Forwarded-For': ip,
        },
        body: JSON.stringify({ type: 'pageview', url: `https://shop.example/p/${i}` }),
      });
    const hits = await pool(
      10,
      Array.from({ length: 60 }, (_, i) => () => hit(i % 2 ? apiA.url : apiB.url, i)),
    );
    expect(hits.map((r) => r.status)).toEqual(Array(60).fill(202));
    const refusedA = await hit(apiA.url, 60);
    const refusedB = await hit(apiB.url, 61);
    expect([refusedA.status, refusedB.status]).toEqual([429, 429]);
    expect(Number(refusedA.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected by the first one's budget.
    const otherIp = await fetch(`${apiB.url}/e/${source.publicKey}`, {
      method: 'POST',
      headers: { 'User-Agent': BROWSER_UA, 'X-Forwarded-For': '198.51.100.254' },
      body: JSON.stringify({ type: 'event', name: 'Other', url: '/x' }),
    });
    expect(otherIp.status).toBe(202);

    // Exactly one stored event per (source, messageId).
    const [counts] = await cluster.sql<{ n: number; distinctIds: number }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS distinctIds FROM events WHERE source_id = ?`,
      [source.id],
    );
    expect(Number(counts.n)).toBe(MESSAGES + 61);
    expect(Number(counts.distinctIds)).toBe(MESSAGES + 61);
    const stored = await cluster.sql<{ id: string; message_id: string; bot: number }>(
      'SELECT id, message_id, bot FROM events WHERE source_id = ?',
      [source.id],
    );
    const storedBots = new Set(stored.filter((e) => e.bot).map((e) => e.message_id));
    expect(storedBots).toEqual(bots);
    const expected = new Set(stored.filter((e) => !e.bot).map((e) => e.message_id));

    // Every stored non-bot event reaches the webhook (at least once); no bot event does.
    const deliverStarted = Date.now();
    await rig.allDelivered(expected, `all ${expected.size} non-bot events at the webhook`);
    const deliverMs = Date.now() - deliverStarted;
    // Let the workers finish writing their Track rows before counting attempts.
    const tracks = await rig.settledTracks();
    const received = fake.on('/hook');
    expect(new Set(received.map((r) => r.json.messageId))).toEqual(expected);
    const eventIdOf = new Map(stored.map((e) => [e.message_id, e.id]));
    for (const r of received) {
      expect(r.headers['idempotency-key']).toBe(eventIdOf.get(r.json.messageId));
    }
    expect(tracks.succeeded).toBe(expected.size);
    // At-least-once: a second request for an event only follows an attempt recorded as not
    // succeeded (an interrupted or failed one); with nothing failing here, that is none.
    const duplicates = received.length - expected.size;
    const unsuccessful = (tracks.failed ?? 0) + (tracks.dead ?? 0);
    expect(duplicates).toBeLessThanOrEqual(unsuccessful);

    // Identity: every user resolves to one profile that holds the user's anonymous ids, and no two
    // users share a profile.
    await eventually(
      async () => {
        const [row] = await cluster.sql<{ n: number }>(
          'SELECT COUNT(*) AS n FROM events WHERE source_id = ? AND bot = 0 AND profile_id IS NULL',
          [source.id],
        );
        return Number(row.n) === 0;
      },
      { timeoutMs: 30_000, what: 'every event resolved to a profile' },
    );
    const profileOf = new Map<string, string>();
    await pool(
      8,
      Array.from({ length: USERS }, (_, u) => async () => {
        const res = await cluster.admin(
          'GET',
          `/admin/profiles?identity=${encodeURIComponent(`userId:user-${u}`)}`,
        );
        expect(res.status).toBe(200);
        const ids = (res.body.identities as Array<{ type: string; value: string }>)
          .map((i) => `${i.type}:${i.value}`)
          .sort();
        expect(ids).toEqual(
          [`userId:user-${u}`, ...[0, 1, 2].map((k) => `anonymousId:anon-${u}-${k}`)].sort(),
        );
        profileOf.set(`user-${u}`, res.body.id);
      }),
    );
    expect(new Set(profileOf.values()).size).toBe(USERS);
    // And no second live profile was left behind for any user by the two racing workers.
    const [liveUsers] = await cluster.sql<{ n: number }>(
      `SELECT COUNT(*) AS n FROM profiles WHERE merged_into IS NULL AND user_id LIKE 'user-%'`,
    );
    expect(Number(liveUsers.n)).toBe(USERS);
    // Each event's profile (following merges) is its user's.
    const live = await cluster.sql<{ id: string; merged_into: string | null }>(
      'SELECT id, merged_into FROM profiles',
    );
    const mergedInto = new Map(live.map((p) => [p.id, p.merged_into]));
    const resolve = (id: string): string => {
      let p = id;
      for (let n = 0; mergedInto.get(p) && n < 100; n++) p = mergedInto.get(p) as string;
      return p;
    };
    const eventProfiles = await cluster.sql<{ anonymous_id: string; profile_id: string }>(
      `SELECT anonymous_id, profile_id FROM events WHERE source_id = ? AND bot = 0 AND message_id LIKE 'so-%'`,
      [source.id],
    );
    for (const e of eventProfiles) {
      const user = `user-${e.anonymous_id.split('-')[1]}`;
      expect({ anon: e.anonymous_id, profile: resolve(e.profile_id) }).toEqual({
        anon: e.anonymous_id,
        profile: profileOf.get(user),
      });
    }

    process.stdout.write(
      `scale-out: ${answers.length} batch requests (${sent} messages, ${sent - accepted} duplicates acknowledged, all 200) ingested in ${ingestMs} ms over 2 APIs; ` +
        `${expected.size} events delivered in ${deliverMs} ms by 2 workers, ` +
        `${duplicates} duplicate webhook deliveries; tracks ${JSON.stringify(tracks)}; ` +
        `total ${Date.now() - started} ms\n`,
    );
  }, 180_000);

  it('answers 200 to batches racing on both APIs with their rows locked in opposite orders', async () => {
    // Two clients (or a client and its retry) sending overlapping messageIds to two APIs at once:
    // the two INSERTs can deadlock in InnoDB. That is no storage outage, so it must not become a 503.
    const { cluster } = rig;
    const [apiA, apiB] = cluster.apis;
    const source = await cluster.createSource();
    const ROUNDS = 60;
    const SIZE = 50;
    const statuses: number[] = [];
    let accepted = 0;
    await pool(
      6,
      Array.from({ length: ROUNDS }, (_, r) => async () => {
        const batch = Array.from({ length: SIZE }, (_, i) => ({
          type: 'track',
          event: 'Race',
          anonymousId: `racer-${r}`,
          messageId: `race-${r}-${i}`,
        }));
        const answers = await Promise.all(
          [
            [apiA.url, batch],
            [apiB.url, [...batch].reverse()],
          ].map(async ([api, body]) => {
            const res = await postBatch(api as string, source.writeKey, body as object[]);
            statuses.push(res.status);
            return (await res.json()) as BatchAnswer;
          }),
        );
        accepted += answers.reduce((n, a) => n + (a.accepted ?? 0), 0);
      }),
    );
    const refused = statuses.filter((s) => s !== 200).length;
    process.stdout.write(`racing pairs: ${refused} of ${statuses.length} answers were not 200\n`);
    expect(refused).toBe(0);
    expect(accepted).toBe(ROUNDS * SIZE);
    const [row] = await cluster.sql<{ n: number }>(
      'SELECT COUNT(*) AS n FROM events WHERE source_id = ?',
      [source.id],
    );
    expect(Number(row.n)).toBe(ROUNDS * SIZE);
  }, 60_000);
});
