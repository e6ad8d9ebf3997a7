import { BadRequestException } from '@nestjs/common';
import { normalizeMessage } from '../message/normalize-message';
import { accountEntries, personEntries, readAccountKey, readList, readPerson } from './koala-batch';

const PROFILE = '3f0c2a44-8a4e-4b2a-9c1d-2f5e6a7b8c9d';
const receivedAt = new Date('2024-07-01T12:00:00Z');

describe('Koala batch conversion', () => {
  it('reads the person: profile_id lowercased, email kept', () => {
    expect(readPerson({ profile_id: PROFILE.toUpperCase(), email: 'a@acme.com' })).toEqual({
      profileId: PROFILE,
      email: 'a@acme.com',
    });
    expect(() => readPerson({})).toThrow(BadRequestException);
    expect(() => readPerson({ profile_id: 'x' })).toThrow('profile_id must be a UUID v4');
  });

  it('reads the account key with a normalised domain', () => {
    expect(readAccountKey({ domain: 'https://www.Acme.com/x', account_id: 7 })).toEqual({
      domain: 'acme.com',
      accountId: '7',
    });
    expect(() => readAccountKey({ domain: 'acme' })).toThrow('domain "acme" is not a domain name');
    expect(() => readAccountKey({ account_id: '' })).toThrow('domain or account_id is required');
  });

  it('limits each list to 30 entries', () => {
    expect(readList({ events: Array(30).fill({}) }, 'events')).toHaveLength(30);
    expect(() => readList({ events: Array(31).fill({}) }, 'events')).toThrow(
      'events holds 31 entries; at most 30 are allowed per request',
    );
  });

  it('turns events, identifies and page views into Segment messages that normalise cleanly', () => {
    const body = {
      profile_id: PROFILE,
      email: 'jo@acme.com',
      identifies: [{ type: 'identify', traits: { name: 'Jo' } }],
      events: [
        {
          message_id: 'm1',
          event: 'Clicked',
          properties: { a: 1 },
          sent_at: '2024-07-01T11:00:00Z',
        },
      ],
      page_views: [{ url: 'https://acme.com/', title: 'Home' }],
    };
    const entries = personEntries(body, readPerson(body));
    expect(entries.map((e) => [e.list, e.index])).toEqual([
      ['identifies', 0],
      ['events', 0],
      ['page_views', 0],
    ]);
    const messages = entries.map((e) => {
      const r = normalizeMessage({ raw: e.entry.raw, receivedAt });
      if (!r.ok) throw new Error(r.errors.join());
      return r.message;
    });
    expect(messages[0]).toMatchObject({
      type: 'identify',
      anonymousId: PROFILE,
      userId: null,
      traits: { name: 'Jo', email: 'jo@acme.com' },
      context: { traits: { email: 'jo@acme.com' } },
    });
    expect(messages[1]).toMatchObject({
      type: 'track',
      messageId: 'm1',
      event: 'Clicked',
      timestamp: new Date('2024-07-01T11:00:00Z'),
    });
    expect(messages[2]).toMatchObject({
      type: 'page',
      properties: { url: 'https://acme.com/', referrer: null, title: 'Home' },
      context: { page: { url: 'https://acme.com/', referrer: null, title: 'Home' } },
    });
    // The stored payload is the Koala entry as sent, untouched by the conversion.
    expect(entries[0].entry.payload).toEqual({ type: 'identify', traits: { name: 'Jo' } });
  });

  it('adds one identify, with an id derived from the pair, for a bare-bones identification', () => {
    const body = { profile_id: PROFILE, email: 'jo@acme.com' };
    const [a] = personEntries(body, readPerson(body));
    const [b] = personEntries(body, readPerson(body));
    expect(a.list).toBe('email');
    expect((a.entry.raw as { messageId: string }).messageId).toMatch(
      /^koala-identify-[0-9a-f]{40}$/,
    );
    expect(a.entry.raw).toEqual(b.entry.raw);
  });

  it('needs the route to vouch for an email-only subject', () => {
    const body = { email: 'jo@acme.com', events: [{ event: 'E' }] };
    const [, event] = personEntries(body, readPerson(body));
    expect(normalizeMessage({ raw: event.entry.raw, receivedAt }).ok).toBe(false);
    expect(normalizeMessage({ raw: event.entry.raw, receivedAt, identified: true }).ok).toBe(true);
  });

  it('turns account identifies into group messages keyed by group_id, else the account', () => {
    const key = { domain: 'acme.com', accountId: null };
    const entries = accountEntries(
      {
        identifies: [
          { traits: { group_id: 'dev', seats: 3 } },
          { traits: { plan: 'pro' }, sent_at: '2024-01-01' },
        ],
        events: [{ event: 'Upgraded' }],
      },
      key,
      receivedAt,
    );
    expect(
      entries.map((e) => (e.entry.raw as { type: string; groupId?: string }).groupId ?? null),
    ).toEqual(['dev', 'acme.com', null]);
    expect(entries[0].accountTraits).toEqual({
      traits: { group_id: 'dev', seats: 3 },
      at: receivedAt,
    });
    expect(entries[1].accountTraits?.at).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(entries[2].accountTraits).toBeUndefined();
  });

  it('reports entry errors in Koala field names and merges no traits from them', () => {
    const [bad] = accountEntries(
      { identifies: [{ traits: { a: 1 }, sent_at: 'later', message_id: {} }] },
      { domain: null, accountId: 'crm-1' },
      receivedAt,
    );
    expect(bad.entry.rejectedWith).toEqual([
      'identifies[0].message_id must be a string of at most 255 characters',
      'identifies[0].sent_at is not an ISO 8601 time',
    ]);
    expect(bad.accountTraits).toBeUndefined();
  });
});
