import { identityKey, type Identity } from './identities';
import { IdentityGraph, type ProfileState, type ResolutionInput } from './identity-graph';

let n = 0;
const graph = () => new IdentityGraph(() => `p${String(++n).padStart(3, '0')}`, 1000);

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
  createdAt,
  traits: { values: {}, times: {} },
  touches: { first: null, last: null },
  firstSeenAt: createdAt,
  lastSeenAt: createdAt,
  mergedInto: null,
  isNew: false,
  dirty: false,
});

const owner = (g: IdentityGraph, type: string, value: string) =>
  g.ownerOf(identityKey({ type, value } as Identity));

describe('IdentityGraph merge rules', () => {
  it('creates a profile for unknown identities and attaches the rest to a known one', () => {
    const g = graph();
    const p = g.apply(msg({ anonymousId: 'a1' }));
    expect(g.apply(msg({ anonymousId: 'a1', userId: 'u1', email: 'x@y.io' }))).toBe(p);
    expect(owner(g, 'email', 'x@y.io')).toBe(p);
    expect(g.profiles.get(p!)!.userId).toBe('u1');
    expect([...g.newIdentities.keys()]).toEqual(['anonymousId:a1', 'userId:u1', 'email:x@y.io']);
  });

  it('merges into the oldest profile, moving traits and seen times, and records the merge', () => {
    const g = graph();
    const old = existing('p-old', 10);
    old.traits = { values: { plan: 'free' }, times: { plan: 5 } };
    const young = existing('p-young', 20, 'u1');
    young.traits = { values: { plan: 'pro', name: 'Jo' }, times: { plan: 7, name: 7 } };
    young.lastSeenAt = 50;
    g.addProfile(young);
    g.addProfile(old);
    g.addIdentity('anonymousId:a1', 'p-old');
    g.addIdentity('userId:u1', 'p-young');
    const m = msg({ userId: 'u1', anonymousId: 'a1' });
    expect(g.apply(m)).toBe('p-old');
    expect(g.live('p-young')).toBe('p-old');
    expect(owner(g, 'userId', 'u1')).toBe('p-old');
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
    g.addIdentity('anonymousId:a', 'p-a');
    g.addIdentity('anonymousId:b', 'p-b');
    expect(g.apply(msg({ anonymousId: 'b', email: 'x@y.io' }))).toBe('p-b');
    expect(g.apply(msg({ anonymousId: 'a', email: 'x@y.io' }))).toBe('p-a');
  });

  it('never puts two userIds in one profile: records a conflict, new identities go with the userId', () => {
    const g = graph();
    const p1 = g.apply(msg({ userId: 'u1', anonymousId: 'a1' }));
    const m = msg({ userId: 'u2', anonymousId: 'a1', email: 'two@y.io' });
    const p2 = g.apply(m);
    expect(p2).not.toBe(p1);
    expect(owner(g, 'anonymousId', 'a1')).toBe(p1);
    expect(owner(g, 'email', 'two@y.io')).toBe(p2);
    expect(g.conflicts).toEqual([
      expect.objectContaining({
        from: p1,
        into: p2,
        userIds: ['u2', 'u1'],
        identities: ['anonymousId:a1'],
      }),
    ]);
    expect(g.merges).toEqual([]);
  });

  it('still merges the anonymous profiles of a conflicting message into its userId', () => {
    const g = graph();
    const p1 = g.apply(msg({ userId: 'u1', anonymousId: 'a1' }));
    const lone = g.apply(msg({ anonymousId: 'a2' }));
    const p2 = g.apply(msg({ userId: 'u2', anonymousId: 'a1' }));
    expect(g.apply(msg({ userId: 'u2', anonymousId: 'a2' }))).toBe(lone);
    expect(g.live(p2!)).toBe(lone);
    expect(owner(g, 'userId', 'u2')).toBe(lone);
    expect(owner(g, 'anonymousId', 'a1')).toBe(p1);
  });

  it('sides an anonymous message between two known people with the smallest userId', () => {
    for (const order of [
      ['zed', 'amy'],
      ['amy', 'zed'],
    ]) {
      const g = graph();
      for (const u of order)
        g.apply(msg({ userId: u, anonymousId: `${u}-laptop`, email: `${u}@y.io` }));
      const p = g.apply(
        msg({ anonymousId: 'zed-laptop', email: 'amy@y.io', phone: '+14155552671' }),
      );
      // The message's new identity joins amy; zed's laptop stays zed's.
      expect(p).toBe(owner(g, 'userId', 'amy'));
      expect(owner(g, 'phone', '+14155552671')).toBe(p);
      expect(owner(g, 'anonymousId', 'zed-laptop')).toBe(owner(g, 'userId', 'zed'));
      expect(g.conflicts).toHaveLength(1);
    }
  });

  it('is idempotent: applying the same message again changes nothing', () => {
    const g = graph();
    const m = msg({ userId: 'u1', anonymousId: 'a1' }, { traits: { plan: 'pro' }, at: 2000 });
    const p = g.apply(m)!;
    const before = structuredClone(g.profiles.get(p));
    g.profiles.get(p)!.dirty = false;
    expect(g.apply(m)).toBe(p);
    expect(g.profiles.get(p)!.dirty).toBe(false);
    expect({ ...g.profiles.get(p), dirty: true }).toEqual(before);
    expect(g.merges).toEqual([]);
  });

  it('gives no profile to a message without identities', () => {
    expect(graph().apply(msg({}))).toBeNull();
  });
});
