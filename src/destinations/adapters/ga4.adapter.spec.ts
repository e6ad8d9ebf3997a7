import type { ProfileView } from '../../identity/profile-view';
import type { EventView } from '../../ingestion/message/canonical-message';
import {
  destinationConfig,
  eventView,
  NOW_2024 as NOW,
  profileView,
  TS_2024 as TS,
} from '../../../test/support/fixtures';
import { ga4Adapter, ga4ClientId, ga4Name } from './ga4.adapter';

const event = (over: Partial<EventView> = {}) =>
  eventView(TS, { anonymousId: 'client-1', ...over });

const dest = (settings: Record<string, unknown> = {}) =>
  destinationConfig({
    type: 'ga4',
    name: 'GA4',
    settings: { measurementId: 'G-ABC123', apiSecret: 'SECRET', ...settings },
    secrets: ['SECRET'],
  });

describe('ga4Adapter.build', () => {
  it('builds the documented purchase example', () => {
    const e = event({
      properties: {
        order_id: 'o-1',
        revenue: 42.5,
        currency: 'USD',
        products: [{ product_id: 'sku-1', price: 42.5, quantity: 1 }],
      },
      context: { sessionId: '1732299000' },
    });
    const { requests } = ga4Adapter.build([{ event: e, profile: null }], dest(), NOW);
    expect(requests[0].url).toBe(
      'https://www.google-analytics.com/mp/collect?measurement_id=G-ABC123&api_secret=SECRET',
    );
    expect(JSON.parse(requests[0].body)).toEqual({
      client_id: 'client-1',
      user_id: 'user-1',
      timestamp_micros: '1732300000000000',
      events: [
        {
          name: 'purchase',
          params: {
            currency: 'USD',
            value: 42.5,
            transaction_id: 'o-1',
            items: [{ item_id: 'sku-1', price: 42.5, quantity: 1 }],
            session_id: '1732299000',
            engagement_time_msec: 1,
          },
          timestamp_micros: '1732300000000000',
        },
      ],
    });
  });

  it('sends one client per request, at most 25 events each; test mode uses the debug endpoint', () => {
    const inputs = [
      ...Array.from({ length: 30 }, (_, i) => ({
        event: event({ id: `a${i}`, event: 'Video Played' }),
        profile: null,
      })),
      { event: event({ id: 'b', anonymousId: 'client-2' }), profile: null },
    ];
    const { requests } = ga4Adapter.build(inputs, dest({ testMode: true }), NOW);
    expect(requests.map((r) => r.eventIds.length)).toEqual([25, 5, 1]);
    expect(requests.map((r) => JSON.parse(r.body).client_id)).toEqual([
      'client-1',
      'client-1',
      'client-2',
    ]);
    expect(requests[0].url).toContain('/debug/mp/collect?');
    expect(JSON.parse(requests[0].body).events[0].name).toBe('video_played');
  });

  it('sends a bare server event under the client id and user id of its profile', () => {
    const profile = (identities: ProfileView['identities'], over: Partial<ProfileView> = {}) =>
      profileView(TS, { identities, ...over });
    const known = profile([
      { type: 'userId', value: 'user-1' },
      { type: 'anonymousId', value: 'browser-a' },
      { type: 'email', value: 'jane@example.com' },
    ]);
    const head = (e: EventView, p: ProfileView | null) => {
      const body = JSON.parse(
        ga4Adapter.build([{ event: e, profile: p }], dest(), NOW).requests[0].body,
      );
      return { client_id: body.client_id, user_id: body.user_id };
    };
    // The purchase from the server carries the userId alone: the landing's client gets it.
    const serverSide = event({ anonymousId: null, profileId: 'p1' });
    expect(head(serverSide, known)).toEqual({ client_id: 'browser-a', user_id: 'user-1' });
    // An anonymous page after the identify is the identified user's.
    const laterPage = event({
      type: 'page',
      event: null,
      userId: null,
      anonymousId: 'browser-a',
      profileId: 'p1',
    });
    expect(head(laterPage, known)).toEqual({ client_id: 'browser-a', user_id: 'user-1' });
    // The event's own ids always win.
    expect(head(event({ anonymousId: 'browser-b', userId: 'user-2' }), known)).toEqual({
      client_id: 'browser-b',
      user_id: 'user-2',
    });
    // Several browsers: no single one to pick, so the stable id derived from the user id.
    const twoBrowsers = profile([
      { type: 'userId', value: 'user-1' },
      { type: 'anonymousId', value: 'browser-a' },
      { type: 'anonymousId', value: 'browser-b' },
    ]);
    const derived = ga4ClientId({ event: serverSide, profile: null });
    expect(derived).toMatch(/^[0-9a-f]{32}$/);
    expect(head(serverSide, twoBrowsers).client_id).toBe(derived);
    // A contested profile belongs to no one: its ids are not lent.
    const contested = profile(known.identities, { contestedBy: ['user-1', 'user-9'] });
    expect(head({ ...laterPage, anonymousId: 'browser-c' }, contested)).toEqual({
      client_id: 'browser-c',
      user_id: undefined,
    });
  });

  it('skips events older than 72 hours', () => {
    const old = event({ timestamp: new Date(NOW.getTime() - 73 * 3600_000).toISOString() });
    const { requests, skipped } = ga4Adapter.build([{ event: old, profile: null }], dest(), NOW);
    expect(requests).toEqual([]);
    expect(skipped[0].reason).toMatch(/GA4 accepts events up to 72 h old/);
  });

  it('keeps names within the GA4 rules', () => {
    expect(ga4Name('Order Completed')).toBe('order_completed');
    expect(ga4Name('123 start-Now!')).toBe('start_now');
    expect(ga4Name('x'.repeat(60))).toHaveLength(40);
  });
});

describe('ga4Adapter.classify', () => {
  const req = ga4Adapter.build([{ event: event(), profile: null }], dest(), NOW).requests[0];
  it('turns debug validation messages into a dead row, only in test mode', () => {
    const res = {
      status: 200,
      headers: {},
      body: JSON.stringify({ validationMessages: [{ fieldPath: 'events', description: 'bad' }] }),
    };
    expect(ga4Adapter.classify(res, req, dest({ testMode: true }))).toEqual({
      status: 'dead',
      error: 'GA4 validation: events bad',
    });
    expect(ga4Adapter.classify(res, req, dest())).toEqual({ status: 'succeeded' });
    expect(ga4Adapter.classify({ status: 204, headers: {}, body: '' }, req, dest())).toEqual({
      status: 'succeeded',
    });
  });
});
