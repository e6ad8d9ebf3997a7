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
  compact,
  ecommerceOf,
  fbcOf,
  fbpOf,
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

export const META_BATCH = 1000;
export const META_WINDOW_MS = 7 * DAY_MS;

/** Meta error codes that mean "later": unknown/transient, throttling, temporary unavailability. */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80004]);

export const META_DEFAULT_MAPPING: Record<string, string> = {
  'Order Completed': 'Purchase',
  'Product Added': 'AddToCart',
  'Product Viewed': 'ViewContent',
  'Checkout Started': 'InitiateCheckout',
  'Payment Info Entered': 'AddPaymentInfo',
  'Products Searched': 'Search',
  'Product Added to Wishlist': 'AddToWishlist',
  'Signed Up': 'CompleteRegistration',
  'Lead Generated': 'Lead',
  'Form Submitted': 'Lead',
  page: 'PageView',
};

/** One `data[]` entry of the Conversions API, from an event and its profile. */
export function metaEvent(input: AdapterInput, dest: DestinationConfig): Record<string, unknown> {
  const { event } = input;
  const person = personOf(input);
  const page = pageOf(event);
  const shop = ecommerceOf(event, str(dest.settings.defaultCurrency));
  const name = mappedName(metaCapiAdapter, dest, event) ?? event.event ?? event.name ?? event.type;
  const phones = person.phones.map((p) => hashed(p.replace(/^\+/, '')));
  const userData = compact({
    em: person.emails.map(hashed),
    ph: phones,
    external_id: person.userId ? [hashed(person.userId)] : undefined,
    fn: person.firstName ? [hashed(person.firstName)] : undefined,
    ln: person.lastName ? [hashed(person.lastName)] : undefined,
    ct: person.city ? [hashed(person.city)] : undefined,
    st: person.state ? [hashed(person.state)] : undefined,
    zp: person.zip ? [hashed(person.zip)] : undefined,
    country: person.country ? [hashed(person.country)] : undefined,
    client_ip_address: person.ip,
    client_user_agent: person.userAgent,
    fbc: fbcOf(input),
    fbp: fbpOf(input),
  });
  const customData = compact({
    value: shop.value,
    currency: shop.currency,
    order_id: shop.orderId,
    contents: shop.items.map((i) =>
      compact({ id: i.id, quantity: i.quantity ?? 1, item_price: i.price }),
    ),
    content_type: shop.items.length > 0 ? 'product' : undefined,
    search_string: shop.query,
  });
  return compact({
    event_name: name,
    event_time: seconds(event.timestamp),
    event_id: event.messageId,
    action_source: str(dest.settings.actionSource) ?? 'website',
    event_source_url: page.url,
    user_data: userData,
    custom_data: customData,
  });
}

/**
 * Meta Conversions API: `POST /{version}/{pixel}/events`, up to 1,000 events a request. One event
 * older than 7 days fails a whole request, so those are skipped before batching.
 */
export const metaCapiAdapter: DestinationAdapter = {
  type: 'meta_capi',
  settings: [
    { name: 'pixelId', kind: 'string', required: true, pattern: /^\d+$/, hint: 'digits only' },
    { name: 'accessToken', kind: 'string', required: true, secret: true },
    { name: 'apiVersion', kind: 'string', pattern: /^v\d+\.\d+$/, hint: 'like v21.0' },
    { name: 'testEventCode', kind: 'string' },
    {
      name: 'actionSource',
      kind: 'enum',
      values: [
        'website',
        'app',
        'email',
        'phone_call',
        'chat',
        'physical_store',
        'system_generated',
        'business_messaging',
        'other',
      ],
    },
    {
      name: 'defaultCurrency',
      kind: 'string',
      pattern: /^[A-Z]{3}$/,
      hint: 'an ISO 4217 code like USD',
    },
    { name: 'endpoint', kind: 'url' },
  ],
  types: ['track', 'page'],
  windowMs: META_WINDOW_MS,
  defaultMapping: META_DEFAULT_MAPPING,

  build(inputs, dest, now): BuildResult {
    const skipped: BuildResult['skipped'] = [];
    const entries: Array<{ id: string; entry: Record<string, unknown> }> = [];
    for (const input of inputs) {
      const old = tooOld(input.event, META_WINDOW_MS, now, 'Meta');
      if (old) skipped.push({ eventId: input.event.id, reason: old });
      else entries.push({ id: input.event.id, entry: metaEvent(input, dest) });
    }
    const version = str(dest.settings.apiVersion) ?? 'v21.0';
    const url =
      joinUrl(
        baseUrl(dest, 'https://graph.facebook.com'),
        `${version}/${str(dest.settings.pixelId)}/events`,
      ) + `?access_token=${encodeURIComponent(str(dest.settings.accessToken) ?? '')}`;
    const testEventCode = str(dest.settings.testEventCode);
    const requests: OutgoingRequest[] = chunk(entries, META_BATCH).map((batch) => ({
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(
        compact({ data: batch.map((b) => b.entry), test_event_code: testEventCode }),
      ),
      eventIds: batch.map((b) => b.id),
      parts: batch.map((b) => compact({ data: [b.entry], test_event_code: testEventCode })),
    }));
    return { requests, skipped };
  },

  classify(res: HttpResponse): Outcome {
    if (res.status >= 200 && res.status < 300) return { status: 'succeeded' };
    const error = obj(obj(parseJson(res.body)).error);
    const code = typeof error.code === 'number' ? error.code : undefined;
    const detail = str(error.message)
      ? `${str(error.message)}${code !== undefined ? ` (code ${code})` : ''}`
      : undefined;
    if (error.is_transient === true || (code !== undefined && TRANSIENT_CODES.has(code))) {
      const http = classifyHttp(res, detail);
      return {
        status: 'retry',
        error: http.status === 'succeeded' ? 'transient error' : http.error,
        retryAfterMs: http.status === 'retry' ? http.retryAfterMs : undefined,
      };
    }
    return classifyHttp(res, detail);
  },
};
