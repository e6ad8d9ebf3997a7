import type { EventView } from '../../ingestion/message/canonical-message';
import {
  destinationConfig,
  eventView,
  NOW_2024 as NOW,
  profileView,
  sha,
  touch,
  TS_2024 as TS,
} from '../../../test/support/fixtures';
import { tiktokAdapter } from './tiktok.adapter';

const event = (over: Partial<EventView> = {}) => eventView(TS, over);

const dest = (settings: Record<string, unknown> = {}) =>
  destinationConfig({
    type: 'tiktok',
    name: 'TikTok',
    settings: { pixelCode: 'PIXEL123', accessToken: 'TT-TOKEN', ...settings },
    secrets: ['TT-TOKEN'],
  });

describe('tiktokAdapter.build', () => {
  it('builds the documented CompletePayment example', () => {
    const e = event({
      properties: {
        order_id: 'o-1',
        value: 42.5,
        currency: 'USD',
        products: [{ product_id: 'sku-1', quantity: 1, price: 42.5 }],
        email: 'Buyer@Shop.example',
        phone: '+44 7911 123456',
      },
      context: {
        ip: '24.5.68.47',
        userAgent: 'Mozilla/5.0 ...',
        ttp: '2abc_ttp',
        clickIds: { ttclid: 'E.C.P.xyz' },
        page: { url: 'https://shop.example/checkout', referrer: 'https://google.com/' },
      },
    });
    const { requests } = tiktokAdapter.build(
      [{ event: e, profile: null }],
      dest({ testEventCode: 'TEST123' }),
      NOW,
    );
    expect(requests[0].url).toBe('https://business-api.tiktok.com/open_api/v1.3/event/track/');
    expect(requests[0].headers['Access-Token']).toBe('TT-TOKEN');
    expect(JSON.parse(requests[0].body)).toEqual({
      event_source: 'web',
      event_source_id: 'PIXEL123',
      test_event_code: 'TEST123',
      data: [
        {
          event: 'CompletePayment',
          event_time: 1732300000,
          event_id: 'msg-1',
          user: {
            email: sha('buyer@shop.example'),
            phone: sha('+447911123456'),
            external_id: sha('user-1'),
            ttclid: 'E.C.P.xyz',
            ttp: '2abc_ttp',
            ip: '24.5.68.47',
            user_agent: 'Mozilla/5.0 ...',
          },
          properties: {
            value: 42.5,
            currency: 'USD',
            order_id: 'o-1',
            content_type: 'product',
            contents: [{ content_id: 'sku-1', quantity: 1, price: 42.5 }],
          },
          page: { url: 'https://shop.example/checkout', referrer: 'https://google.com/' },
        },
      ],
    });
  });

  it('takes email, E.164 phone (with +) and the ttclid from the profile of a bare server event', () => {
    const profile = profileView(TS, {
      identities: [
        { type: 'userId', value: 'user-1' },
        { type: 'anonymousId', value: 'anon-9' },
        { type: 'email', value: 'jane.doe@example.com' },
        { type: 'phone', value: '+4520123456' },
      ],
      traits: { email: '  Jane.Doe@Example.COM ', phone: '+45 20 12 34 56' },
      // The latest visit came through Google: the TikTok click is only on the first touch.
      attribution: {
        first: touch({ ttclid: 'E.C.P.CqgB-aB_c' }, '2024-11-20T10:00:00.000Z'),
        last: touch({ gclid: 'Cj0-x' }, '2024-11-22T10:00:00.000Z'),
      },
    });
    const bare = event({ profileId: 'p1', properties: { revenue: 10, currency: 'dkk' } });
    const user = (e: EventView) =>
      JSON.parse(tiktokAdapter.build([{ event: e, profile }], dest(), NOW).requests[0].body).data[0]
        .user;
    expect(user(bare)).toEqual({
      email: sha('jane.doe@example.com'),
      phone: sha('+4520123456'),
      external_id: sha('user-1'),
      ttclid: 'E.C.P.CqgB-aB_c',
    });
    // The message's own click id wins over the profile's.
    const clicked = event({
      profileId: 'p1',
      context: { page: { url: 'https://shop.example/?ttclid=E.C.P.Fresh-1' } },
    });
    expect(user(clicked).ttclid).toBe('E.C.P.Fresh-1');
  });

  it('maps the Segment ecommerce spec by default, skips events older than 7 days', () => {
    const names = [
      'Product Added',
      'Product Viewed',
      'Checkout Started',
      'Signed Up',
      'Form Submitted',
    ];
    const inputs = names.map((n, i) => ({
      event: event({ id: `e${i}`, event: n }),
      profile: null,
    }));
    inputs.push({ event: event({ id: 'p', type: 'page', event: null }), profile: null });
    inputs.push({
      event: event({ id: 'old', timestamp: new Date(NOW.getTime() - 8 * 86400_000).toISOString() }),
      profile: null,
    });
    const { requests, skipped } = tiktokAdapter.build(inputs, dest(), NOW);
    expect(JSON.parse(requests[0].body).data.map((d: { event: string }) => d.event)).toEqual([
      'AddToCart',
      'ViewContent',
      'InitiateCheckout',
      'CompleteRegistration',
      'SubmitForm',
      'Pageview',
    ]);
    expect(skipped.map((s) => s.eventId)).toEqual(['old']);
  });
});

describe('tiktokAdapter.classify', () => {
  const req = tiktokAdapter.build([{ event: event(), profile: null }], dest(), NOW).requests[0];
  const res = (status: number, body: unknown) => ({
    status,
    headers: {},
    body: JSON.stringify(body),
  });

  it('reads the code of an HTTP 200', () => {
    expect(tiktokAdapter.classify(res(200, { code: 0, message: 'OK' }), req, dest())).toEqual({
      status: 'succeeded',
    });
    expect(
      tiktokAdapter.classify(res(200, { code: 40100, message: 'Too many requests' }), req, dest()),
    ).toMatchObject({
      status: 'retry',
    });
    expect(
      tiktokAdapter.classify(res(200, { code: 40001, message: 'No permission' }), req, dest()),
    ).toMatchObject({
      status: 'dead',
      error: 'TikTok code 40001: No permission',
    });
    expect(
      tiktokAdapter.classify(res(200, { code: 40002, message: 'Bad token' }), req, dest()),
    ).toMatchObject({ status: 'dead' });
    expect(
      tiktokAdapter.classify(res(200, { code: 40000, message: 'Invalid param' }), req, dest()),
    ).toMatchObject({ status: 'dead' });
    expect(
      tiktokAdapter.classify(res(503, { code: 50000, message: 'Server error' }), req, dest()),
    ).toMatchObject({ status: 'retry' });
  });
});
