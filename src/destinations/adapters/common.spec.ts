import type { EventView } from '../../ingestion/message/canonical-message';
import {
  classifyHttp,
  ecommerceOf,
  hashed,
  normalizeEmailForGoogle,
  normalizePhone,
  passesFilter,
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
