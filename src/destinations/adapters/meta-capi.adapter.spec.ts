import type { ProfileView } from '../../identity/profile-view';
import type { EventView } from '../../ingestion/message/canonical-message';
import type { DestinationConfig } from '../destination-types';
import {
  destinationConfig,
  eventView,
  NOW_2024 as NOW,
  profileView,
  sha,
  touch,
  TS_2024 as TS,
} from '../../../test/support/fixtures';
import { metaCapiAdapter } from './meta-capi.adapter';

const event = (over: Partial<EventView> = {}) => eventView(TS, { anonymousId: 'anon-1', ...over });

const dest = (settings: Record<string, unknown> = {}, over: Partial<DestinationConfig> = {}) =>
  destinationConfig({
    type: 'meta_capi',
    name: 'Meta',
    settings: { pixelId: '1234567890', accessToken: 'TOKEN', ...settings },
    secrets: ['TOKEN'],
    ...over,
  });

describe('metaCapiAdapter.build', () => {
  it('builds the documented Purchase example', () => {
    const e = event({
      properties: {
        order_id: 'o-1',
        revenue: 42.5,
        currency: 'USD',
        products: [{ product_id: 'sku-1', quantity: 1, price: 42.5 }],
      },
      traits: { email: ' John@Example.com ', phone: '+1 (650) 555-1234' },
      context: {
        ip: '24.5.68.47',
        userAgent: 'Mozilla/5.0 ...',
        page: { url: 'https://shop.example/checkout?fbclid=IwAR1-AbC_x' },
        fbp: 'fb.1.1732200000000.987654321',
      },
    });
    const { requests, skipped } = metaCapiAdapter.build(
      [{ event: e, profile: null }],
      dest({ testEventCode: 'TEST123', apiVersion: 'v21.0' }),
      NOW,
    );
    expect(skipped).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(
      'https://graph.facebook.com/v21.0/1234567890/events?access_token=TOKEN',
    );
    expect(JSON.parse(requests[0].body)).toEqual({
      data: [
        {
          event_name: 'Purchase',
          event_time: 1732300000,
          event_id: 'msg-1',
          action_source: 'website',
          event_source_url: 'https://shop.example/checkout?fbclid=IwAR1-AbC_x',
          user_data: {
            em: [sha('john@example.com')],
            ph: [sha('16505551234')],
            external_id: [sha('user-1')],
            client_ip_address: '24.5.68.47',
            client_user_agent: 'Mozilla/5.0 ...',
            fbc: `fb.1.${1732300000 * 1000}.IwAR1-AbC_x`,
            fbp: 'fb.1.1732200000000.987654321',
          },
          custom_data: {
            value: 42.5,
            currency: 'USD',
            order_id: 'o-1',
            contents: [{ id: 'sku-1', quantity: 1, item_price: 42.5 }],
            content_type: 'product',
          },
        },
      ],
      test_event_code: 'TEST123',
    });
  });

  it('reads email, phone and click ids from the profile when the message has none', () => {
    const profile = profileView(TS, {
      identities: [
        { type: 'email', value: 'jane@example.com' },
        { type: 'phone', value: '+33612345678' },
      ],
      traits: {
        firstName: 'Jane',
        address: { city: 'Saint-Denis', postal_code: '93200-123', country: 'FR' },
      },
      attribution: { first: null, last: touch({ fbclid: 'AbCdEf' }, '2024-11-20T10:00:00.000Z') },
    });
    const { requests } = metaCapiAdapter.build(
      [{ event: event({ profileId: 'p1' }), profile }],
      dest(),
      NOW,
    );
    const data = JSON.parse(requests[0].body).data[0];
    expect(data.user_data).toMatchObject({
      em: [sha('jane@example.com')],
      ph: [sha('33612345678')],
      fn: [sha('jane')],
      ct: [sha('saintdenis')],
      zp: [sha('93200')],
      country: [sha('fr')],
      fbc: `fb.1.${Date.parse('2024-11-20T10:00:00.000Z')}.AbCdEf`,
    });
  });

  it("gives an anonymous event after the identify the profile's userId as external_id", () => {
    const profile = profileView(TS, {
      identities: [
        { type: 'userId', value: 'User-42' },
        { type: 'anonymousId', value: 'anon-1' },
      ],
    });
    const page = event({ type: 'page', event: null, userId: null, profileId: 'p1' });
    const userData = (p: ProfileView) =>
      JSON.parse(metaCapiAdapter.build([{ event: page, profile: p }], dest(), NOW).requests[0].body)
        .data[0].user_data;
    expect(userData(profile).external_id).toEqual([sha('User-42')]);
    // A contested profile lends nothing: no user data is left, so user_data is dropped whole.
    const contested = userData({ ...profile, contestedBy: ['User-42', 'User-7'] });
    expect(contested?.external_id).toBeUndefined();
  });

  it('keeps values that are already SHA-256 hex as they are', () => {
    const hashedEmail = sha('already@hashed.example');
    const { requests } = metaCapiAdapter.build(
      [{ event: event({ traits: { email: hashedEmail.toUpperCase() } }), profile: null }],
      dest(),
      NOW,
    );
    expect(JSON.parse(requests[0].body).data[0].user_data.em).toEqual([hashedEmail]);
  });

  it('maps pages to PageView, keeps custom events by name, and honours the mapping and endpoint', () => {
    const { requests } = metaCapiAdapter.build(
      [
        { event: event({ id: 'a', type: 'page', event: null, name: 'Home' }), profile: null },
        { event: event({ id: 'b', event: 'Custom Thing' }), profile: null },
        { event: event({ id: 'c', event: 'Trial Started' }), profile: null },
      ],
      dest(
        { endpoint: 'http://127.0.0.1:9/fake/' },
        { mapping: { 'Trial Started': 'StartTrial' } },
      ),
      NOW,
    );
    expect(requests[0].url).toBe(
      'http://127.0.0.1:9/fake/v21.0/1234567890/events?access_token=TOKEN',
    );
    expect(
      JSON.parse(requests[0].body).data.map((d: { event_name: string }) => d.event_name),
    ).toEqual(['PageView', 'Custom Thing', 'StartTrial']);
    expect(requests[0].eventIds).toEqual(['a', 'b', 'c']);
    expect(requests[0].parts[1]).toEqual({ data: [JSON.parse(requests[0].body).data[1]] });
  });

  it('batches up to 1,000 events a request and never batches an event older than 7 days', () => {
    const inputs = Array.from({ length: 1001 }, (_, i) => ({
      event: event({ id: `e${i}`, messageId: `m${i}` }),
      profile: null,
    }));
    inputs.push({
      event: event({ id: 'old', timestamp: new Date(NOW.getTime() - 8 * 86400_000).toISOString() }),
      profile: null,
    });
    const { requests, skipped } = metaCapiAdapter.build(inputs, dest(), NOW);
    expect(requests.map((r) => r.eventIds.length)).toEqual([1000, 1]);
    expect(skipped).toEqual([
      { eventId: 'old', reason: expect.stringMatching(/Meta accepts events up to 168 h old/) },
    ]);
  });
});

describe('metaCapiAdapter.classify', () => {
  const req = metaCapiAdapter.build([{ event: event(), profile: null }], dest(), NOW).requests[0];
  const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: JSON.stringify(body),
  });

  it('reads Meta errors: transient codes retry, the rest follow the status', () => {
    expect(
      metaCapiAdapter.classify(res(200, { events_received: 1, fbtrace_id: 'x' }), req, dest()),
    ).toEqual({
      status: 'succeeded',
    });
    expect(
      metaCapiAdapter.classify(
        res(400, { error: { message: 'Invalid parameter', code: 100 } }),
        req,
        dest(),
      ),
    ).toEqual({ status: 'dead', error: 'HTTP 400: Invalid parameter (code 100)' });
    expect(
      metaCapiAdapter.classify(
        res(400, { error: { message: 'User request limit reached', code: 17 } }),
        req,
        dest(),
      ),
    ).toMatchObject({ status: 'retry' });
    expect(
      metaCapiAdapter.classify(
        res(500, { error: { message: 'x', code: 1, is_transient: true } }),
        req,
        dest(),
      ),
    ).toMatchObject({
      status: 'retry',
    });
    expect(
      metaCapiAdapter.classify(res(429, {}, { 'retry-after': '7' }), req, dest()),
    ).toMatchObject({
      status: 'retry',
      retryAfterMs: 7000,
    });
  });
});
