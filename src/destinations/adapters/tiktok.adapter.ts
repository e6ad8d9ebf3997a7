import type { DestinationConfig } from '../destination-types';
import {
  DAY_MS,
  type AdapterInput,
  type BuildResult,
  type DestinationAdapter,
  type HttpResponse,
  type Outcome,
  type OutgoingRequest,
} from './adapter';
import {
  baseUrl,
  chunk,
  classifyHttp,
  clickIdOf,
  compact,
  ecommerceOf,
  hashed,
  joinUrl,
  mappedName,
  obj,
  pageOf,
  parseJson,
  personOf,
  seconds,
  str,
  tooOld,
} from './common';

export const TIKTOK_BATCH = 1000;
export const TIKTOK_WINDOW_MS = 7 * DAY_MS;

export const TIKTOK_DEFAULT_MAPPING: Record<string, string> = {
  'Order Completed': 'CompletePayment',
  'Product Added': 'AddToCart',
  'Product Viewed': 'ViewContent',
  'Checkout Started': 'InitiateCheckout',
  'Payment Info Entered': 'AddPaymentInfo',
  'Products Searched': 'Search',
  'Product Added to Wishlist': 'AddToWishlist',
  'Signed Up': 'CompleteRegistration',
  'Form Submitted': 'SubmitForm',
  'Lead Generated': 'Lead',
  page: 'Pageview',
};

/** One `data[]` entry of the Events API 2.0. */
export function tiktokEvent(input: AdapterInput, dest: DestinationConfig): Record<string, unknown> {
  const { event } = input;
  const person = personOf(input);
  const page = pageOf(event);
  const shop = ecommerceOf(event, str(dest.settings.defaultCurrency));
  const ctx = obj(event.context);
  return compact({
    event: mappedName(tiktokAdapter, dest, event) ?? event.event ?? event.name ?? event.type,
    event_time: seconds(event.timestamp),
    event_id: event.messageId,
    user: compact({
      email: person.emails[0] ? hashed(person.emails[0]) : undefined,
      // Events API 2.0 wants E.164 WITH the leading `+` (e.g. +12133734253) before SHA-256; Meta is
      // the one that wants the digits alone.
      phone: person.phones[0] ? hashed(person.phones[0]) : undefined,
      external_id: person.userId ? hashed(person.userId) : undefined,
      ttclid: clickIdOf('ttclid', input)?.value,
      ttp: str(ctx.ttp) ?? str(obj(ctx.cookies)._ttp),
      ip: person.ip,
      user_agent: person.userAgent,
    }),
    properties: compact({
      value: shop.value,
      currency: shop.currency,
      order_id: shop.orderId,
      content_type: shop.items.length > 0 ? 'product' : undefined,
      contents: shop.items.map((i) =>
        compact({
          content_id: i.id,
          content_name: i.name,
          quantity: i.quantity ?? 1,
          price: i.price,
        }),
      ),
      query: shop.query,
    }),
    page: compact({ url: page.url, referrer: page.referrer }),
  });
}

/**
 * TikTok Events API 2.0. TikTok answers HTTP 200 for most failures: the body's `code` decides
 * (0 ok, 40100 throttled → retry, 40001/40002 auth → dead, the rest by the HTTP status, and a 2xx with
 * an error code is dead because repeating the same request cannot fix it).
 */
export const tiktokAdapter: DestinationAdapter = {
  type: 'tiktok',
  settings: [
    { name: 'pixelCode', kind: 'string', required: true },
    { name: 'accessToken', kind: 'string', required: true, secret: true },
    { name: 'testEventCode', kind: 'string' },
    {
      name: 'defaultCurrency',
      kind: 'string',
      pattern: /^[A-Z]{3}$/,
      hint: 'an ISO 4217 code like USD',
    },
    { name: 'endpoint', kind: 'url' },
  ],
  types: ['track', 'page'],
  windowMs: TIKTOK_WINDOW_MS,
  defaultMapping: TIKTOK_DEFAULT_MAPPING,

  build(inputs, dest, now): BuildResult {
    const skipped: BuildResult['skipped'] = [];
    const entries: Array<{ id: string; entry: Record<string, unknown> }> = [];
    for (const input of inputs) {
      const old = tooOld(input.event, TIKTOK_WINDOW_MS, now, 'TikTok');
      if (old) skipped.push({ eventId: input.event.id, reason: old });
      else entries.push({ id: input.event.id, entry: tiktokEvent(input, dest) });
    }
    const url = joinUrl(
      baseUrl(dest, 'https://business-api.tiktok.com'),
      'open_api/v1.3/event/track/',
    );
    const head = compact({
      event_source: 'web',
      event_source_id: str(dest.settings.pixelCode),
      test_event_code: str(dest.settings.testEventCode),
    });
    const requests: OutgoingRequest[] = chunk(entries, TIKTOK_BATCH).map((batch) => ({
      method: 'POST',
      url,
      headers: {
        'Content-Type': 'application/json',
        'Access-Token': str(dest.settings.accessToken) ?? '',
      },
      body: JSON.stringify({ ...head, data: batch.map((b) => b.entry) }),
      eventIds: batch.map((b) => b.id),
      parts: batch.map((b) => ({ ...head, data: [b.entry] })),
    }));
    return { requests, skipped };
  },

  classify(res: HttpResponse): Outcome {
    const body = obj(parseJson(res.body));
    const code = typeof body.code === 'number' ? body.code : undefined;
    if (code === undefined) return classifyHttp(res);
    const detail = `TikTok code ${code}: ${str(body.message) ?? ''}`.trim();
    if (code === 0) return classifyHttp(res);
    if (code === 40100)
      return { status: 'retry', error: detail, retryAfterMs: classifyRetryAfter(res) };
    if (code === 40001 || code === 40002) return { status: 'dead', error: detail };
    const http = classifyHttp(res, detail);
    return http.status === 'succeeded' ? { status: 'dead', error: detail } : http;
  },
};

function classifyRetryAfter(res: HttpResponse): number | undefined {
  const http = classifyHttp({ ...res, status: 429 });
  return http.status === 'retry' ? http.retryAfterMs : undefined;
}
