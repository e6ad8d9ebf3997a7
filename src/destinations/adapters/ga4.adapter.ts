import { sha256Hex } from '../../common/keys';
import type { JsonObject } from '../../ingestion/message/canonical-message';
import type { DestinationConfig } from '../destination-types';
import type {
  AdapterInput,
  BuildResult,
  DestinationAdapter,
  HttpResponse,
  Outcome,
  OutgoingRequest,
} from './adapter';
import {
  baseUrl,
  chunk,
  classifyHttp,
  compact,
  ecommerceOf,
  joinUrl,
  mappedName,
  obj,
  pageOf,
  parseJson,
  soleIdentity,
  str,
  tooOld,
} from './common';

export const GA4_BATCH = 25;
export const GA4_WINDOW_MS = 72 * 3600 * 1000;
const MAX_PARAMS = 25;
const MAX_NAME = 40;
const MAX_VALUE = 100;

export const GA4_DEFAULT_MAPPING: Record<string, string> = {
  'Order Completed': 'purchase',
  'Order Refunded': 'refund',
  'Product Added': 'add_to_cart',
  'Product Removed': 'remove_from_cart',
  'Product Viewed': 'view_item',
  'Product Clicked': 'select_item',
  'Product List Viewed': 'view_item_list',
  'Product Added to Wishlist': 'add_to_wishlist',
  'Cart Viewed': 'view_cart',
  'Checkout Started': 'begin_checkout',
  'Payment Info Entered': 'add_payment_info',
  'Products Searched': 'search',
  'Promotion Viewed': 'view_promotion',
  'Signed Up': 'sign_up',
  'Signed In': 'login',
  'Lead Generated': 'generate_lead',
  page: 'page_view',
  screen: 'screen_view',
};

/** GA4 names: letters, digits and underscores, starting with a letter, at most 40 characters. */
export function ga4Name(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  return (snake || 'event').slice(0, MAX_NAME);
}

/**
 * The GA client id: one given explicitly, else the anonymous id (what the web tag keys on) of the
 * event or, for a server-side event with a userId alone, of its profile, so that GA4 puts the
 * conversion in the same client as the landing and credits the landing's traffic source. Only as
 * a last resort a stable id derived from the user id.
 */
export function ga4ClientId({ event, profile }: AdapterInput): string {
  const given = str(obj(event.context).clientId) ?? str(obj(event.properties).client_id);
  const userId = event.userId ?? soleIdentity(profile, 'userId');
  return (
    given ??
    event.anonymousId ??
    soleIdentity(profile, 'anonymousId') ??
    sha256Hex(`user:${userId ?? event.id}`).slice(0, 32)
  );
}

/** GA4's user_id: the event's, else the userId its profile was identified with. */
export const ga4UserId = ({ event, profile }: AdapterInput): string | null =>
  event.userId ?? soleIdentity(profile, 'userId');

const micros = (iso: string): string => `${Date.parse(iso)}000`;

/** One `events[]` entry: the mapped or snake_cased name and at most 25 params. */
export function ga4Event(input: AdapterInput, dest: DestinationConfig): Record<string, unknown> {
  const { event } = input;
  const name =
    mappedName(ga4Adapter, dest, event) ?? ga4Name(event.event ?? event.name ?? event.type);
  const shop = ecommerceOf(event, str(dest.settings.defaultCurrency));
  const page = pageOf(event);
  const props = obj(event.properties);
  const ctx = obj(event.context);
  const params: Record<string, unknown> = compact({
    currency: shop.currency,
    value: shop.value,
    transaction_id: shop.orderId,
    coupon: shop.coupon,
    search_term: shop.query,
    items: shop.items.map((i) =>
      compact({
        item_id: i.id,
        item_name: i.name,
        price: i.price,
        quantity: i.quantity ?? 1,
        item_category: i.category,
        item_brand: i.brand,
        item_variant: i.variant,
      }),
    ),
    page_location: event.type === 'page' ? page.url : undefined,
    page_referrer: event.type === 'page' ? page.referrer : undefined,
    page_title: event.type === 'page' ? page.title : undefined,
    session_id: str(ctx.sessionId) ?? str(props.session_id),
    engagement_time_msec: 1,
  });
  // The event's other scalar properties go along as custom params, within GA4's limits.
  const taken = new Set([
    'revenue',
    'total',
    'value',
    'currency',
    'order_id',
    'products',
    'query',
    'coupon',
    'url',
    'referrer',
    'title',
    'session_id',
    'path',
    'search',
  ]);
  for (const [k, v] of Object.entries(props as JsonObject)) {
    if (Object.keys(params).length >= MAX_PARAMS) break;
    if (taken.has(k)) continue;
    const key = ga4Name(k);
    if (key in params) continue;
    if (typeof v === 'string') params[key] = v.slice(0, MAX_VALUE);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean')
      params[key] = v;
  }
  return { name, params, timestamp_micros: micros(event.timestamp) };
}

/**
 * GA4 Measurement Protocol: one client per request, at most 25 events; events up to 72 hours old.
 * It answers 2xx even for bad payloads, so test mode uses `/debug/mp/collect` and reads its
 * `validationMessages`.
 */
export const ga4Adapter: DestinationAdapter = {
  type: 'ga4',
  settings: [
    {
      name: 'measurementId',
      kind: 'string',
      required: true,
      pattern: /^G-[A-Z0-9]+$/,
      hint: 'like G-XXXXXXX',
    },
    { name: 'apiSecret', kind: 'string', required: true, secret: true },
    { name: 'testMode', kind: 'boolean' },
    {
      name: 'defaultCurrency',
      kind: 'string',
      pattern: /^[A-Z]{3}$/,
      hint: 'an ISO 4217 code like USD',
    },
    { name: 'endpoint', kind: 'url' },
  ],
  types: ['track', 'page', 'screen'],
  windowMs: GA4_WINDOW_MS,
  defaultMapping: GA4_DEFAULT_MAPPING,

  build(inputs, dest, now): BuildResult {
    const skipped: BuildResult['skipped'] = [];
    // Requests are per (client id, user id), in the order the events came.
    const groups = new Map<
      string,
      {
        clientId: string;
        userId: string | null;
        items: Array<{ id: string; entry: Record<string, unknown> }>;
      }
    >();
    for (const input of inputs) {
      const old = tooOld(input.event, GA4_WINDOW_MS, now, 'GA4');
      if (old) {
        skipped.push({ eventId: input.event.id, reason: old });
        continue;
      }
      const clientId = ga4ClientId(input);
      const userId = ga4UserId(input);
      const key = JSON.stringify([clientId, userId]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { clientId, userId, items: [] }));
      g.items.push({ id: input.event.id, entry: ga4Event(input, dest) });
    }
    const path = dest.settings.testMode === true ? 'debug/mp/collect' : 'mp/collect';
    const url =
      joinUrl(baseUrl(dest, 'https://www.google-analytics.com'), path) +
      `?measurement_id=${encodeURIComponent(str(dest.settings.measurementId) ?? '')}` +
      `&api_secret=${encodeURIComponent(str(dest.settings.apiSecret) ?? '')}`;
    const requests: OutgoingRequest[] = [];
    for (const g of groups.values()) {
      for (const batch of chunk(g.items, GA4_BATCH)) {
        const head = compact({
          client_id: g.clientId,
          user_id: g.userId ?? undefined,
          timestamp_micros: batch[0].entry.timestamp_micros,
        });
        requests.push({
          method: 'POST',
          url,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...head, events: batch.map((b) => b.entry) }),
          eventIds: batch.map((b) => b.id),
          parts: batch.map((b) => ({
            ...head,
            timestamp_micros: b.entry.timestamp_micros,
            events: [b.entry],
          })),
        });
      }
    }
    return { requests, skipped };
  },

  classify(res: HttpResponse, _req: OutgoingRequest, dest: DestinationConfig): Outcome {
    const http = classifyHttp(res);
    if (http.status !== 'succeeded' || dest.settings.testMode !== true) return http;
    const messages = obj(parseJson(res.body)).validationMessages;
    if (Array.isArray(messages) && messages.length > 0) {
      const text = messages
        .map((m) => {
          const o = obj(m);
          return `${str(o.fieldPath) ?? ''} ${str(o.description) ?? str(o.validationCode) ?? ''}`.trim();
        })
        .join('; ');
      return { status: 'dead', error: `GA4 validation: ${text}` };
    }
    return http;
  },
};
