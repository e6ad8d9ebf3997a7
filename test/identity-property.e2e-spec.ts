import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { dataSourceOptions, dropDatabase, ensureDatabase } from '../src/common/database';
import type { EventView } from '../src/ingestion/message/canonical-message';
import { identitiesOf, identityKey } from '../src/identity/resolution/identities';
import { IdentityResolver } from '../src/identity/resolution/identity-resolver';
import { testConfig } from './support/test-app';

/**
 * Invariant 4 as a property, against the real database: the same calls, shuffled, repeated, cut
 * into batches of any size and resolved two batches at a time, give the same graph, and it is the
 * graph the rules define from the set of calls alone (IdentityGraph):
 *  - components: non-userId identities linked by calls without userId;
 *  - R(C): the userIds that appear in a call with a member of C;
 *  - profiles: for each userId U, U with every C whose R(C) = {U}; every other C (R(C) empty, or
 *    two userIds or more: contested) on its own.
 * The conflict case is covered too: a contested component belongs to no one, whichever userId
 * came first.
 */

const USERS = ['u1', 'u2', 'u3'];
const ANONS = ['a1', 'a2', 'a3', 'a4', 'a5'];
const EMAILS = ['e1@x.io', 'e2@x.io', 'e3@x.io'];
const PHONES = ['4155552671', '4155552672'];

interface Call {
  kind: 'identify' | 'track' | 'alias';
  userId: string | null;
  anonymousId: string | null;
  email: string | null;
  phone: string | null;
  at: number;
}

const spellings = {
  email: (e: string, v: number) => [e, e.toUpperCase(), `  ${e} `][v % 3],
  phone: (p: string, v: number) =>
    [
      `+1${p}`,
      `(${p.slice(0, 3)}) ${p.slice(3, 6)}-${p.slice(6)}`,
      `${p.slice(0, 3)}.${p.slice(3, 6)}.${p.slice(6)}`,
    ][v % 3],
};

const callArb: fc.Arbitrary<Call> = fc
  .record({
    kind: fc.constantFrom('identify', 'identify', 'track', 'alias') as fc.Arbitrary<Call['kind']>,
    userId: fc.option(fc.constantFrom(...USERS), { freq: 2 }),
    anonymousId: fc.option(fc.constantFrom(...ANONS), { freq: 4 }),
    email: fc.option(fc.constantFrom(...EMAILS), { freq: 1 }),
    phone: fc.option(fc.constantFrom(...PHONES), { freq: 1 }),
    spelling: fc.nat(2),
    at: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ spelling, ...c }) => ({
    ...c,
    email: c.email && spellings.email(c.email, spelling),
    phone: c.phone && spellings.phone(c.phone, spelling),
    // alias needs both ids; track and alias carry no traits
    userId: c.kind === 'alias' ? (c.userId ?? 'u1') : c.userId,
    anonymousId: c.kind === 'alias' ? (c.anonymousId ?? 'a1') : c.anonymousId,
  }));

function toEvent(c: Call, i: number): EventView {
  const traits =
    c.kind === 'identify'
      ? { ...(c.email ? { email: c.email } : {}), ...(c.phone ? { phone: c.phone } : {}) }
      : {};
  const id = `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`;
  return {
    id,
    sourceId: 's',
    type: c.kind,
    messageId: `m-${i}`,
    userId: c.userId,
    anonymousId: c.kind === 'alias' ? null : c.anonymousId,
    previousId: c.kind === 'alias' ? c.anonymousId : null,
    event: c.kind === 'track' ? 'E' : null,
    name: null,
    properties: {},
    traits,
    groupId: null,
    context: {},
    integrations: {},
    timestamp: new Date(Date.UTC(2026, 10, 20, 10, c.at)).toISOString(),
    originalTimestamp: null,
    sentAt: null,
    receivedAt: new Date().toISOString(),
    profileId: null,
    accountId: null,
    bot: false,
    enrichment: {},
  };
}

/** The expected partition, as sorted blocks of identity keys, and how many components are contested. */
function expectedPartition(events: EventView[]): { blocks: string[]; contested: number } {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    const p = parent.get(k) ?? k;
    if (p === k) return k;
    const r = find(p);
    parent.set(k, r);
    return r;
  };
  const sets = events.map((e) => identitiesOf(e, 'US'));
  for (const ids of sets) {
    const others = ids.filter((i) => i.type !== 'userId').map(identityKey);
    for (const k of others) parent.set(k, find(k));
    // Only calls without userId link identities with each other.
    if (others.length === ids.length)
      for (const k of others.slice(1)) parent.set(find(k), find(others[0]));
  }
  const users = new Map<string, Set<string>>();
  for (const ids of sets) {
    const u = ids.find((i) => i.type === 'userId');
    if (!u) continue;
    users.set(identityKey(u), users.get(identityKey(u)) ?? new Set());
    for (const i of ids) {
      if (i.type === 'userId') continue;
      const root = find(identityKey(i));
      users.set(root, (users.get(root) ?? new Set()).add(identityKey(u)));
    }
  }
  const blocks = new Map<string, string[]>();
  const add = (block: string, k: string) => blocks.set(block, [...(blocks.get(block) ?? []), k]);
  const contested = new Set<string>();
  for (const k of parent.keys()) {
    const root = find(k);
    const r = [...(users.get(root) ?? [])];
    if (r.length > 1) contested.add(root);
    add(r.length === 1 ? r[0] : root, k);
  }
  for (const k of users.keys()) if (k.startsWith('userId:')) add(k, k);
  return {
    blocks: [...blocks.values()].map((b) => b.sort().join(' ')).sort(),
    contested: contested.size,
  };
}

describe('identity resolution is order-independent (property, real database)', () => {
  const config = testConfig();
  let db: DataSource;
  let resolver: IdentityResolver;

  beforeAll(async () => {
    // Lock retries are expected here; their debug lines are noise.
    Logger.overrideLogger(false);
    await ensureDatabase(config.databaseUrl);
    db = new DataSource({ ...dataSourceOptions(config.databaseUrl), migrationsRun: false });
    await db.initialize();
    await db.runMigrations();
    resolver = new IdentityResolver(db, { defaultPhoneRegion: 'US' });
  });
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(config.databaseUrl);
  });

  /** Runs the events in the given order, cut into batches, two batches at a time; returns identity → profile. */
  async function run(events: EventView[], cuts: number[]): Promise<Map<string, string>> {
    await db.query('DELETE FROM identities');
    await db.query('DELETE FROM profiles');
    await db.query('DELETE FROM profile_merges');
    const batches: EventView[][] = [];
    for (let i = 0, c = 0; i < events.length; c++) {
      const size = 1 + (cuts[c % cuts.length] ?? 0);
      batches.push(events.slice(i, i + size));
      i += size;
    }
    for (let i = 0; i < batches.length; i += 2) {
      await Promise.all(batches.slice(i, i + 2).map((b) => resolver.resolve(resolver.inputsOf(b))));
    }
    const rows: Array<{ type: string; value: string; profile_id: string }> = await db.query(
      'SELECT type, value, profile_id FROM identities',
    );
    return new Map(rows.map((r) => [`${r.type}:${r.value}`, r.profile_id]));
  }

  const partition = (owner: Map<string, string>): string[] => {
    const blocks = new Map<string, string[]>();
    for (const [k, p] of owner) blocks.set(p, [...(blocks.get(p) ?? []), k]);
    return [...blocks.values()].map((b) => b.sort().join(' ')).sort();
  };

  it('gives the same partition of identities into profiles for any order, repetition and batching', async () => {
    let contestedRuns = 0;
    let cleanRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArb, { minLength: 1, maxLength: 14 }).chain((calls) => {
          const events = calls.map(toEvent);
          // Repeats are the same stored event again (a pipeline job that runs twice).
          const withRepeats = fc
            .array(fc.nat(events.length - 1), { maxLength: 4 })
            .map((extra) => [...events, ...extra.map((i) => events[i])]);
          return fc.tuple(
            fc.constant(events),
            fc.array(
              fc.tuple(
                withRepeats.chain((all) =>
                  fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
                ),
                fc.array(fc.nat(3), { minLength: 1, maxLength: 6 }),
              ),
              { minLength: 3, maxLength: 3 },
            ),
          );
        }),
        async ([events, orders]) => {
          const expected = expectedPartition(events);
          if (expected.contested > 0) contestedRuns++;
          else cleanRuns++;
          for (const [order, cuts] of orders) {
            expect(partition(await run(order, cuts))).toEqual(expected.blocks);
          }
        },
      ),
      { numRuns: 120 },
    );
    // Both kinds of call set were exercised.
    expect(contestedRuns).toBeGreaterThan(0);
    expect(cleanRuns).toBeGreaterThan(0);
  });
});
