import type { ProfileView } from '../../identity/profile-view';
import type { EventView } from '../../ingestion/message/canonical-message';
import {
  classifyHttp,
  clickIdOf,
  fbcOf,
  ecommerceOf,
  hashed,
  normalizeEmailForGoogle,
  normalizePhone,
  passesFilter,
  personOf,
  retryAfterMs,
} from './common';

const res = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: '',
});

describe('classifyHttp', () => {
  it.each([
    [200, 'succeeded'],
    [202, 'succeeded'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [501, 'dead'],
    [505, 'dead'],
    [400, 'dead'],
    [401, 'dead'],
    [404, 'dead'],
    [422, 'dead'],
  ])('HTTP %i → %s', (status, outcome) => {
    expect(classifyHttp(res(status)).status).toBe(outcome);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs(res(429, { 'retry-after': '120' }))).toBe(120_000);
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(retryAfterMs(res(429, { 'retry-after': 'Mon, 23 Nov 2026 10:00:30 GMT' }), now)).toBe(
      30_000,
    );
    expect(retryAfterMs(res(429, { 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(res(429))).toBeUndefined();
  });
});

describe('normalisation', () => {
  it('hashes once: 64 hex characters pass through lowercased', () => {
    const h = 'A'.repeat(64);
    expect(hashed(h)).toBe('a'.repeat(64));
    expect(hashed('x')).toHaveLength(64);
  });

  it('formats phones as E.164, with the person country as the default region', () => {
    expect(normalizePhone('+1 (650) 253-0000')).toBe('+16502530000');
    expect(normalizePhone('06 12 34 56 78', 'fr')).toBe('+33612345678');
    expect(normalizePhone('not a phone')).toBeNull();
  });

  it('drops dots of gmail local parts for Google', () => {
    expect(normalizeEmailForGoogle(' Jo.Hn@Gmail.com ')).toBe('john@gmail.com');
    expect(normalizeEmailForGoogle('jo.hn@example.com')).toBe('jo.hn@example.com');
  });
});

describe('ecommerceOf', () => {
  const ev = (properties: Record<string, unknown>) => ({ properties }) as unknown as EventView;
  it('reads products[], revenue, currency, a single product and a default currency', () => {
    expect(ecommerceOf(ev({ revenue: '19.5', products: [{ sku: 's', price: 19.5 }] }))).toEqual({
      value: 19.5,
      currency: 'USD',
      items: [{ id: 's', price: 19.5 }],
    });
    expect(ecommerceOf(ev({ product_id: 'p', price: 5, quantity: 3, currency: 'eur' }))).toEqual({
      value: 15,
      currency: 'EUR',
      items: [{ id: 'p', price: 5, quantity: 3 }],
    });
    expect(ecommerceOf(ev({}))).toEqual({ items: [] });
  });
});

describe('passesFilter', () => {
  const track = { type: 'track', event: 'A' } as EventView;
  it('applies types, allowed and excluded event names', () => {
    expect(passesFilter({}, track)).toBe(true);
    expect(passesFilter({ types: ['page'] }, track)).toBe(false);
    expect(passesFilter({ events: ['B'] }, track)).toBe(false);
    expect(passesFilter({ events: ['A'] }, track)).toBe(true);
    expect(passesFilter({ excludeEvents: ['A'] }, track)).toBe(false);
  });
});

describe('personOf and click ids with a resolved profile', () => {
  const ts = '2026-11-23T10:00:00.000Z';
  const bare = {
    id: 'e1',
    type: 'track',
    event: 'Order Completed',
    userId: 'User-1',
    anonymousId: null,
    properties: {},
    traits: {},
    context: {},
    timestamp: ts,
  } as unknown as EventView;
  const profile: ProfileView = {
    id: 'p1',
    identities: [
      { type: 'userId', value: 'User-1' },
      { type: 'anonymousId', value: 'anon-1' },
      { type: 'email', value: 'jane.doe@example.com' },
      { type: 'email', value: 'old@example.com' },
      { type: 'phone', value: '+4520123456' },
    ],
    traits: { email: '  Jane.Doe@Example.COM ', phone: '+45 20 12 34 56' },
    accounts: [],
    attribution: {
      first: {
        campaign: { source: 'fb' },
        referrer: null,
        clickIds: { fbclid: 'IwAR-Mixed_Case', ttclid: 'E.C.P.x-Y_z' },
        fbc: `fb.1.${Date.parse('2026-11-20T08:00:00.000Z')}.IwAR-Mixed_Case`,
        url: null,
        at: '2026-11-20T08:00:00.000Z',
      },
      last: {
        campaign: {},
        referrer: null,
        clickIds: { gclid: 'Cj0-Late' },
        url: null,
        at: '2026-11-22T08:00:00.000Z',
      },
    },
    firstSeenAt: ts,
    lastSeenAt: ts,
  };

  it('takes emails and phones from the profile, normalised once and deduplicated', () => {
    const p = personOf({ event: bare, profile });
    expect(p.emails).toEqual(['jane.doe@example.com', 'old@example.com']);
    expect(p.phones).toEqual(['+4520123456']);
    expect(p.userId).toBe('User-1');
    expect(p.anonymousId).toBe('anon-1');
  });

  it('sends no hash of what is no email address', () => {
    const junk = { ...bare, traits: { email: 'n/a' }, properties: { email: '-' } } as EventView;
    expect(personOf({ event: junk, profile: null }).emails).toEqual([]);
    const h = 'b'.repeat(64);
    expect(personOf({ event: { ...junk, traits: { email: h } }, profile: null }).emails).toEqual([
      h,
    ]);
  });

  it('finds each click id on whichever touch has it, untouched, with the time of the click', () => {
    const input = { event: bare, profile };
    expect(clickIdOf('gclid', input)).toEqual({
      value: 'Cj0-Late',
      at: Date.parse('2026-11-22T08:00:00.000Z'),
      from: 'profile',
    });
    expect(clickIdOf('ttclid', input)?.value).toBe('E.C.P.x-Y_z');
    expect(fbcOf(input)).toBe(`fb.1.${Date.parse('2026-11-20T08:00:00.000Z')}.IwAR-Mixed_Case`);
    // Without the stored cookie value, built from the fbclid and the click's own time.
    const noFbc = {
      ...profile,
      attribution: {
        ...profile.attribution,
        first: { ...profile.attribution.first!, fbc: undefined },
      },
    };
    expect(fbcOf({ event: bare, profile: noFbc })).toBe(
      `fb.1.${Date.parse('2026-11-20T08:00:00.000Z')}.IwAR-Mixed_Case`,
    );
    expect(clickIdOf('gclid', { event: bare, profile: null })).toBeNull();
  });
});
