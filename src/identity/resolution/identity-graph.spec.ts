import { type Identity, identityKey } from './identities';
import { IdentityGraph, type ProfileState, type ResolutionInput } from './identity-graph';

let n = 0;
const graph = () => new IdentityGraph(() => `p${String(++n).padStart(4, '0')}`, 1000);

const msg = (
  ids: Record<string, string>,
  extra: Partial<ResolutionInput> = {},
): ResolutionInput => {
  const identities = Object.entries(ids).map(([type, value]) => ({ type, value }) as Identity);
  return {
    eventId: `e${++n}`,
    messageId: `m${n}`,
    at: 1000,
    userId: ids.userId ?? null,
    identities,
    traits: null,
    touch: null,
    ...extra,
  };
};

const existing = (id: string, createdAt: number, userId: string | null = null): ProfileState => ({
  id,
  userId,
  contestedBy: [],
  createdAt,
  traits: { values: {}, times: {} },
  touches: { first: null, last: null },
  firstSeenAt: createdAt,
  lastSeenAt: createdAt,
  mergedInto: null,
  isNew: false,
  dirty: false,
  seenDirty: false,
});

const key = (type: string, value: string) => identityKey({ type, value } as Identity);
const owner = (g: IdentityGraph, type: string, value: string) => g.ownerOf(key(type, value));

/** Applies the messages and returns the partition of the given identity keys (as index groups). */
function partitionAfter(messages: ResolutionInput[], keys: string[]): string[] {
  const g = graph();
  messages.forEach((m) => g.apply(m));
  const blocks = new Map<string | null, string[]>();
  for (const k of keys) blocks.set(g.ownerOf(k), [...(blocks.get(g.ownerOf(k)) ?? []), k]);
  return [...blocks.values()].map((b) => b.join(' ')).sort();
}

describe('IdentityGraph merge rules', () => {
  it('creates a profile for unknown identities and attaches the rest to a known one', () => {
    const g = graph();
    const first = msg({ anonymousId: 'a1' });
    g.apply(first);
    const p = g.profileOf(first);
    const second = msg({ anonymousId: 'a1', userId: 'u1', email: 'x@y.io' });
    g.apply(second);
    expect(g.profileOf(second)).toBe(p);
    expect(owner(g, 'email', 'x@y.io')).toBe(p);
    expect(g.profiles.get(p!)!.userId).toBe('u1');
    expect([...g.newIdentities.keys()].sort()).toEqual([
      'anonymousId:a1',
      'email:x@y.io',
      'userId:u1',
    ]);
  });

  it('merges into the oldest profile, moving traits and seen times, and records the merge', () => {
    const g = graph();
    const old = existing('p-old', 10);
    old.traits = { values: { plan: 'free' }, times: { plan: 5 } };
    const young = existing('p-young', 20, 'u1');
    young.traits = { values: { plan: 'pro', name: 'Jo' }, times: { plan: 7, name: 7 } };
    g.addProfile(young);
    g.addProfile(old);
    g.addIdentity({ type: 'anonymousId', value: 'a1' }, 'p-old', 'c-1');
    g.addIdentity({ type: 'userId', value: 'u1' }, 'p-young', null);
    const m = msg({ userId: 'u1', anonymousId: 'a1' });
    g.apply(m);
    expect(g.profileOf(m)).toBe('p-old');
    expect(g.live('p-young')).toBe('p-old');
    const survivor = g.profiles.get('p-old')!;
    expect(survivor).toMatchObject({ userId: 'u1', lastSeenAt: 1000, firstSeenAt: 10 });
    expect(survivor.traits.values).toEqual({ plan: 'pro', name: 'Jo' });
    expect(g.merges).toEqual([
      { from: 'p-young', into: 'p-old', eventId: m.eventId, messageId: m.messageId, at: 1000 },
    ]);
  });

  it('breaks a created-time tie by id', () => {
    const g = graph();
    g.addProfile(existing('p-b', 10));
    g.addProfile(existing('p-a', 10));
    g.addIdentity({ type: 'anonymousId', value: 'a' }, 'p-a', 'c-a');
    g.addIdentity({ type: 'anonymousId', value: 'b' }, 'p-b', 'c-b');
    g.apply(msg({ anonymousId: 'b', email: 'x@y.io' }));
    const m = msg({ anonymousId: 'a', email: 'x@y.io' });
    g.apply(m);
    expect(g.profileOf(m)).toBe('p-a');
    expect(g.liveComponent('c-b').id).toBe('c-a');
  });

  it('takes an identity seen with two userIds out of both, records the conflict, keeps the rest', () => {
    const g = graph();
    const m1 = msg({ userId: 'u1', anonymousId: 'shared' });
    g.apply(m1);
    const p1 = g.profileOf(m1);
    const m2 = msg({ userId: 'u2', anonymousId: 'shared', email: 'two@y.io' });
    g.apply(m2);
    const p2 = g.profileOf(m2);
    const isolated = owner(g, 'anonymousId', 'shared')!;
    expect(new Set([p1, p2, isolated]).size).toBe(3);
    expect(owner(g, 'email', 'two@y.io')).toBe(p2);
    expect(g.profiles.get(isolated)).toMatchObject({ userId: null, contestedBy: ['u1', 'u2'] });
    expect(g.conflicts).toEqual([
      expect.objectContaining({
        from: p1,
        into: isolated,
        userIds: ['u1', 'u2'],
        identities: ['anonymousId:shared'],
      }),
    ]);
  });

  it('gives the same partition whichever userId came first', () => {
    const keys = [
      'userId:u1',
      'userId:u2',
      'anonymousId:shared',
      'email:one@y.io',
      'email:two@y.io',
    ];
    const calls = () => [
      msg({ userId: 'u1', anonymousId: 'shared', email: 'one@y.io' }),
      msg({ userId: 'u2', anonymousId: 'shared', email: 'two@y.io' }),
    ];
    const forward = partitionAfter(calls(), keys);
    expect(partitionAfter(calls().reverse(), keys)).toEqual(forward);
    expect(forward).toEqual(
      ['anonymousId:shared', 'userId:u1 email:one@y.io', 'userId:u2 email:two@y.io'].sort(),
    );
  });

  it('contests an anonymous message that bridges two people, in any order', () => {
    const keys = [
      'userId:amy',
      'userId:zed',
      'anonymousId:amy-laptop',
      'anonymousId:zed-laptop',
      'phone:+1',
    ];
    const calls = () => [
      msg({ userId: 'amy', anonymousId: 'amy-laptop' }),
      msg({ userId: 'zed', anonymousId: 'zed-laptop' }),
      msg({ anonymousId: 'zed-laptop', phone: '+1' }),
      msg({ anonymousId: 'amy-laptop', phone: '+1' }),
    ];
    const expected = [
      'anonymousId:amy-laptop anonymousId:zed-laptop phone:+1',
      'userId:amy',
      'userId:zed',
    ];
    expect(partitionAfter(calls(), keys)).toEqual(expected);
    expect(partitionAfter(calls().reverse(), keys)).toEqual(expected);
    expect(
      partitionAfter(
        [2, 0, 3, 1].map((i) => calls()[i]),
        keys,
      ),
    ).toEqual(expected);
  });

  it('does not link the other identities of a message with userId to each other', () => {
    const keys = ['userId:u1', 'userId:u2', 'anonymousId:a1', 'email:e@y.io'];
    // e@y.io is seen with both users; a1 only with u1, so it stays u1's.
    const calls = () => [
      msg({ userId: 'u1', anonymousId: 'a1', email: 'e@y.io' }),
      msg({ userId: 'u2', email: 'e@y.io' }),
    ];
    const expected = ['email:e@y.io', 'userId:u1 anonymousId:a1', 'userId:u2'];
    expect(partitionAfter(calls(), keys)).toEqual(expected);
    expect(partitionAfter(calls().reverse(), keys)).toEqual(expected);
  });

  it('is idempotent: applying the same message again changes nothing', () => {
    const g = graph();
    const m = msg({ userId: 'u1', anonymousId: 'a1' }, { traits: { plan: 'pro' }, at: 2000 });
    g.apply(m);
    const p = g.profileOf(m)!;
    const before = structuredClone(g.profiles.get(p));
    Object.assign(g.profiles.get(p)!, { dirty: false, seenDirty: false });
    g.apply(m);
    expect(g.profileOf(m)).toBe(p);
    expect(g.profiles.get(p)).toMatchObject({ dirty: false, seenDirty: false });
    expect({ ...g.profiles.get(p), dirty: true, seenDirty: false }).toEqual(before);
    expect(g.merges).toEqual([]);
  });

  it('gives no profile to a message without identities', () => {
    const g = graph();
    const m = msg({});
    g.apply(m);
    expect(g.profileOf(m)).toBeNull();
  });
});
