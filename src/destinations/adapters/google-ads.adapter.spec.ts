import type { EventView } from '../../ingestion/message/canonical-message';
import {
  destinationConfig,
  eventView,
  profileView,
  sha,
  touch,
} from '../../../test/support/fixtures';
import { googleAdsAdapter } from './google-ads.adapter';

const NOW = new Date('2026-11-23T12:00:00Z');
const TS = '2026-11-23T10:15:00.000Z';

const event = (over: Partial<EventView> = {}) =>
  eventView(TS, {
    properties: { order_id: 'o-1', revenue: 42.5, currency: 'USD' },
    context: { page: { url: 'https://shop.example/?gclid=Cj0KCQ-abc' } },
    ...over,
  });

const dest = (settings: Record<string, unknown> = {}, mapping: Record<string, string> = {}) =>
  destinationConfig({
    type: 'google_ads',
    name: 'Ads',
    settings: {
      customerId: '123-456-7890',
      conversionActionId: '555',
      clientId: 'client',
      clientSecret: 'cs',
      refreshToken: 'rt',
      ...settings,
    },
    mapping,
    secrets: ['cs', 'rt'],
  });

describe('googleAdsAdapter.build (Data Manager)', () => {
  it('builds the documented events:ingest example', () => {
    const e = event({
      traits: { email: 'John.Smith@GoogleMail.com', phone: '+1 650-253-0000' },
      context: {
        page: { url: 'https://shop.example/?gclid=Cj0KCQ-abc' },
        consent: { adUserData: 'CONSENT_GRANTED' },
      },
    });
    const { requests, skipped } = googleAdsAdapter.build(
      [{ event: e, profile: null }],
      dest(),
      NOW,
    );
    expect(skipped).toEqual([]);
    expect(requests[0].url).toBe('https://datamanager.googleapis.com/v1/events:ingest');
    expect(JSON.parse(requests[0].body)).toEqual({
      destinations: [
        {
          operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
          productDestinationId: '555',
        },
      ],
      encoding: 'HEX',
      validateOnly: false,
      events: [
        {
          adIdentifiers: { gclid: 'Cj0KCQ-abc' },
          eventTimestamp: '2026-11-23T10:15:00Z',
          transactionId: 'o-1',
          conversionValue: 42.5,
          currency: 'USD',
          eventSource: 'WEB',
          userData: {
            userIdentifiers: [
              { emailAddress: sha('johnsmith@googlemail.com') },
              { phoneNumber: sha('+16502530000') },
            ],
          },
          consent: { adUserData: 'CONSENT_GRANTED' },
        },
      ],
    });
  });

  it('takes the gclid from the profile, and skips without one or past 90 days from the click', () => {
    const profile = (at: string) =>
      profileView(at, {
        id: 'p',
        attribution: { first: touch({ gclid: 'G-FROM-PROFILE' }, at), last: null },
      });
    const plain = event({ context: {} });
    const recent = googleAdsAdapter.build(
      [{ event: plain, profile: profile('2026-11-01T00:00:00Z') }],
      dest(),
      NOW,
    );
    expect(JSON.parse(recent.requests[0].body).events[0].adIdentifiers).toEqual({
      gclid: 'G-FROM-PROFILE',
    });
    const stale = googleAdsAdapter.build(
      [{ event: plain, profile: profile('2026-07-01T00:00:00Z') }],
      dest(),
      NOW,
    );
    expect(stale.requests).toEqual([]);
    expect(stale.skipped[0].reason).toMatch(/up to 90 days after the click/);
    const none = googleAdsAdapter.build([{ event: plain, profile: null }], dest(), NOW);
    expect(none.skipped[0].reason).toBe('no gclid, gbraid or wbraid on the event or its profile');
  });

  it('counts mapped events for their own conversion action; validateOnly in test mode', () => {
    const { requests } = googleAdsAdapter.build(
      [
        { event: event({ id: 'a' }), profile: null },
        { event: event({ id: 'b', event: 'Signed Up' }), profile: null },
      ],
      dest({ testMode: true }, { 'Signed Up': '777' }),
      NOW,
    );
    expect(requests.map((r) => JSON.parse(r.body).destinations[0].productDestinationId)).toEqual([
      '555',
      '777',
    ]);
    expect(JSON.parse(requests[0].body).validateOnly).toBe(true);
    expect(googleAdsAdapter.accepts?.(event({ event: 'Product Viewed' }), dest())).toBe(false);
  });
});

describe('googleAdsAdapter legacy uploadClickConversions', () => {
  const d = dest({ api: 'legacy', developerToken: 'DEV', loginCustomerId: '9999999999' });

  it('builds the documented conversions body', () => {
    const { requests } = googleAdsAdapter.build([{ event: event(), profile: null }], d, NOW);
    expect(requests[0].url).toBe(
      'https://googleads.googleapis.com/v21/customers/1234567890:uploadClickConversions',
    );
    expect(requests[0].headers).toMatchObject({
      'developer-token': 'DEV',
      'login-customer-id': '9999999999',
    });
    expect(JSON.parse(requests[0].body)).toEqual({
      conversions: [
        {
          gclid: 'Cj0KCQ-abc',
          conversionAction: 'customers/1234567890/conversionActions/555',
          conversionDateTime: '2026-11-23 10:15:00+00:00',
          conversionValue: 42.5,
          currencyCode: 'USD',
          orderId: 'o-1',
        },
      ],
      partialFailure: true,
    });
  });

  it('reads per-row partial failures from an HTTP 200', () => {
    const { requests } = googleAdsAdapter.build(
      [
        { event: event({ id: 'a' }), profile: null },
        { event: event({ id: 'b' }), profile: null },
      ],
      d,
      NOW,
    );
    const body = {
      partialFailureError: {
        code: 3,
        message: 'The click is too old',
        details: [
          {
            errors: [
              {
                message: 'The click associated with the given identifier is too old',
                location: {
                  fieldPathElements: [
                    { fieldName: 'conversions', index: 1 },
                    { fieldName: 'gclid' },
                  ],
                },
              },
            ],
          },
        ],
      },
    };
    expect(
      googleAdsAdapter.classify(
        { status: 200, headers: {}, body: JSON.stringify(body) },
        requests[0],
        d,
      ),
    ).toEqual([
      { status: 'succeeded' },
      { status: 'dead', error: 'The click associated with the given identifier is too old' },
    ]);
  });

  it('asks for a new token on 401', () => {
    const { requests } = googleAdsAdapter.build([{ event: event(), profile: null }], dest(), NOW);
    expect(
      googleAdsAdapter.classify({ status: 401, headers: {}, body: '{}' }, requests[0], dest()),
    ).toMatchObject({
      status: 'retry',
      invalidateAuth: true,
    });
  });
});
