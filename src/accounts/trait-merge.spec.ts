import { mergeTraitsByTime, withoutGroupKey } from './trait-merge';

const at = (s: string) => new Date(s);

describe('mergeTraitsByTime', () => {
  it('adds new keys and keeps the others', () => {
    const r = mergeTraitsByTime({ plan: 'free' }, { plan: '2024-01-01T00:00:00.000Z' }, [
      { traits: { seats: 5 }, at: at('2024-01-02T00:00:00Z') },
    ]);
    expect(r.traits).toEqual({ plan: 'free', seats: 5 });
    expect(r.changed).toBe(true);
  });

  it('lets the later event time win per key, whatever the processing order', () => {
    const older = { traits: { plan: 'free', region: 'eu' }, at: at('2024-01-01T00:00:00Z') };
    const newer = { traits: { plan: 'pro' }, at: at('2024-02-01T00:00:00Z') };
    const a = mergeTraitsByTime({}, {}, [older, newer]);
    const b = mergeTraitsByTime({}, {}, [newer, older]);
    expect(a.traits).toEqual({ plan: 'pro', region: 'eu' });
    expect(b.traits).toEqual(a.traits);
    expect(b.traitTimes).toEqual(a.traitTimes);
  });

  it('reports no change when an update is replayed', () => {
    const u = { traits: { plan: 'pro' }, at: at('2024-02-01T00:00:00Z') };
    const first = mergeTraitsByTime({}, {}, [u]);
    const again = mergeTraitsByTime(first.traits, first.traitTimes, [u]);
    expect(again.changed).toBe(false);
    expect(again.traits).toEqual(first.traits);
  });

  it('never lets an older update overwrite a newer value', () => {
    const r = mergeTraitsByTime({ plan: 'pro' }, { plan: '2024-02-01T00:00:00.000Z' }, [
      { traits: { plan: 'free' }, at: at('2024-01-01T00:00:00Z') },
    ]);
    expect(r.traits.plan).toBe('pro');
    expect(r.changed).toBe(false);
  });
});

describe('withoutGroupKey', () => {
  it('drops group_id only', () => {
    expect(withoutGroupKey({ group_id: 'g1', plan: 'pro' })).toEqual({ plan: 'pro' });
    expect(withoutGroupKey({ plan: 'pro' })).toEqual({ plan: 'pro' });
  });
});
