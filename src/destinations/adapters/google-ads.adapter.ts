import type { EventView } from '../../ingestion/message/canonical-message';
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
  isObject,
  joinUrl,
  normalizeEmailForGoogle,
  obj,
  parseJson,
  personOf,
  str,
  type ClickId,
} from './common';

export const GOOGLE_ADS_BATCH = 2000;
export const GOOGLE_ADS_WINDOW_MS = 90 * DAY_MS;
export const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';

const CONSENT = ['CONSENT_GRANTED', 'CONSENT_DENIED'];

/**
 * The conversion action an event counts for: the destination's mapping (event name → conversion
 * action id), and `Order Completed` → the `conversionActionId` setting by default.
 */
export function conversionActionOf(event: EventView, dest: DestinationConfig): string | null {
  if (event.type !== 'track' || !event.event) return null;
  const mapped = dest.mapping[event.event];
  if (mapped) return mapped;
  return event.event === 'Order Completed' ? (str(dest.settings.conversionActionId) ?? null) : null;
}

function clickOf(
  input: AdapterInput,
): { kind: 'gclid' | 'gbraid' | 'wbraid'; click: ClickId } | null {
  for (const kind of ['gclid', 'gbraid', 'wbraid'] as const) {
    const click = clickIdOf(kind, input);
    if (click) return { kind, click };
  }
  return null;
}

const customerId = (v: unknown): string => (str(v) ?? '').replace(/-/g, '');
const rfc3339 = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Google Ads legacy format: `yyyy-mm-dd hh:mm:ss+00:00`. */
const adsDateTime = (iso: string): string =>
  `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;

function consentOf(event: EventView, dest: DestinationConfig): string | undefined {
  const c = obj(obj(event.context).consent);
  const given = str(c.adUserData) ?? str(c.ad_user_data);
  if (given && CONSENT.includes(given.toUpperCase())) return given.toUpperCase();
  if (typeof c.adUserData === 'boolean') return c.adUserData ? 'CONSENT_GRANTED' : 'CONSENT_DENIED';
  return str(dest.settings.adUserDataConsent);
}

/** One `events[]` entry of the Data Manager API `events:ingest`. */
export function dataManagerEvent(
  input: AdapterInput,
  dest: DestinationConfig,
  click: { kind: string; click: ClickId },
): Record<string, unknown> {
  const { event } = input;
  const person = personOf(input);
  const shop = ecommerceOf(event, str(dest.settings.defaultCurrency));
  const emails = person.emails.map((e) => hashed(normalizeEmailForGoogle(e)));
  const phones = person.phones.map((p) => hashed(p));
  const consent = consentOf(event, dest);
  return compact({
    adIdentifiers: { [click.kind]: click.click.value },
    eventTimestamp: rfc3339(event.timestamp),
    transactionId: shop.orderId ?? event.messageId,
    conversionValue: shop.value,
    currency: shop.currency,
    eventSource: 'WEB',
    userData: compact({
      userIdentifiers: [
        ...emails.map((e) => ({ emailAddress: e })),
        ...phones.map((p) => ({ phoneNumber: p })),
      ].slice(0, 10),
    }),
    consent: consent ? { adUserData: consent } : undefined,
  });
}

/** One `conversions[]` row of the legacy `uploadClickConversions`. */
export function legacyConversion(
  input: AdapterInput,
  dest: DestinationConfig,
  actionId: string,
  click: { kind: string; click: ClickId },
): Record<string, unknown> {
  const { event } = input;
  const shop = ecommerceOf(event, str(dest.settings.defaultCurrency));
  const cid = customerId(dest.settings.customerId);
  return compact({
    [click.kind]: click.click.value,
    conversionAction: `customers/${cid}/conversionActions/${actionId}`,
    conversionDateTime: adsDateTime(event.timestamp),
    conversionValue: shop.value,
    currencyCode: shop.currency,
    orderId: shop.orderId ?? event.messageId,
  });
}

/** Indexes of the rows a legacy partial failure names (`conversions[i]`). */
function failedRows(partialFailure: unknown): Map<number, string> {
  const out = new Map<number, string>();
  const details = obj(partialFailure).details;
  for (const d of Array.isArray(details) ? details : []) {
    const errors = obj(d).errors;
    for (const e of Array.isArray(errors) ? errors : []) {
      const path = obj(obj(e).location).fieldPathElements;
      for (const p of Array.isArray(path) ? path : []) {
        if (isObject(p) && p.fieldName === 'conversions' && typeof p.index === 'number') {
          out.set(p.index, str(obj(e).message) ?? 'rejected');
        }
      }
    }
  }
  return out;
}

/**
 * Google Ads click conversions through the Data Manager API (`events:ingest`, OAuth bearer token
 * from a refresh token, no developer token); the Google Ads API's legacy `uploadClickConversions`
 * with `api: "legacy"`. An event without gclid / gbraid / wbraid, or whose click is older than 90
 * days, is skipped.
 */
export const googleAdsAdapter: DestinationAdapter = {
  type: 'google_ads',
  settings: [
    {
      name: 'customerId',
      kind: 'string',
      required: true,
      pattern: /^\d{3}-?\d{3}-?\d{4}$/,
      hint: '10 digits, dashes allowed',
    },
    {
      name: 'conversionActionId',
      kind: 'string',
      required: true,
      pattern: /^\d+$/,
      hint: 'digits only',
    },
    { name: 'clientId', kind: 'string', required: true },
    { name: 'clientSecret', kind: 'string', required: true, secret: true },
    { name: 'refreshToken', kind: 'string', required: true, secret: true },
    {
      name: 'loginCustomerId',
      kind: 'string',
      pattern: /^\d{3}-?\d{3}-?\d{4}$/,
      hint: '10 digits, dashes allowed',
    },
    { name: 'api', kind: 'enum', values: ['data_manager', 'legacy'] },
    {
      name: 'developerToken',
      kind: 'string',
      secret: true,
      requiredWhen: { name: 'api', equals: 'legacy' },
    },
    { name: 'apiVersion', kind: 'string', pattern: /^v\d+$/, hint: 'like v21' },
    { name: 'testMode', kind: 'boolean' },
    { name: 'adUserDataConsent', kind: 'enum', values: CONSENT },
    {
      name: 'defaultCurrency',
      kind: 'string',
      pattern: /^[A-Z]{3}$/,
      hint: 'an ISO 4217 code like USD',
    },
    { name: 'tokenEndpoint', kind: 'url' },
    { name: 'endpoint', kind: 'url' },
  ],
  types: ['track'],
  windowMs: GOOGLE_ADS_WINDOW_MS,
  defaultMapping: {},
  oauth: true,

  accepts(event, dest) {
    return conversionActionOf(event, dest) !== null;
  },

  build(inputs, dest, now): BuildResult {
    const skipped: BuildResult['skipped'] = [];
    const legacy = dest.settings.api === 'legacy';
    const byAction = new Map<string, Array<{ id: string; entry: Record<string, unknown> }>>();
    for (const input of inputs) {
      const actionId = conversionActionOf(input.event, dest);
      if (!actionId) {
        skipped.push({
          eventId: input.event.id,
          reason: 'no conversion action is mapped to this event',
        });
        continue;
      }
      const click = clickOf(input);
      if (!click) {
        skipped.push({
          eventId: input.event.id,
          reason: 'no gclid, gbraid or wbraid on the event or its profile',
        });
        continue;
      }
      const age = now.getTime() - click.click.at;
      if (age > GOOGLE_ADS_WINDOW_MS) {
        skipped.push({
          eventId: input.event.id,
          reason: `the click is ${Math.floor(age / DAY_MS)} days old; Google Ads accepts conversions up to 90 days after the click`,
        });
        continue;
      }
      const entry = legacy
        ? legacyConversion(input, dest, actionId, click)
        : dataManagerEvent(input, dest, click);
      const list = byAction.get(actionId) ?? [];
      list.push({ id: input.event.id, entry });
      byAction.set(actionId, list);
    }
    const cid = customerId(dest.settings.customerId);
    const login = customerId(dest.settings.loginCustomerId);
    const validateOnly = dest.settings.testMode === true;
    const requests: OutgoingRequest[] = [];
    for (const [actionId, entries] of byAction) {
      for (const batch of chunk(entries, GOOGLE_ADS_BATCH)) {
        if (legacy) {
          const version = str(dest.settings.apiVersion) ?? 'v21';
          const head = { partialFailure: true, ...(validateOnly ? { validateOnly: true } : {}) };
          requests.push({
            method: 'POST',
            url: joinUrl(
              baseUrl(dest, 'https://googleads.googleapis.com'),
              `${version}/customers/${cid}:uploadClickConversions`,
            ),
            headers: compact({
              'Content-Type': 'application/json',
              'developer-token': str(dest.settings.developerToken) ?? '',
              'login-customer-id': login || undefined,
            }) as Record<string, string>,
            body: JSON.stringify({ conversions: batch.map((b) => b.entry), ...head }),
            eventIds: batch.map((b) => b.id),
            parts: batch.map((b) => ({ conversions: [b.entry], ...head })),
          });
          continue;
        }
        const head = {
          destinations: [
            compact({
              operatingAccount: { accountType: 'GOOGLE_ADS', accountId: cid },
              loginAccount: login ? { accountType: 'GOOGLE_ADS', accountId: login } : undefined,
              productDestinationId: actionId,
            }),
          ],
          encoding: 'HEX',
          validateOnly,
        };
        requests.push({
          method: 'POST',
          url: joinUrl(baseUrl(dest, 'https://datamanager.googleapis.com'), 'v1/events:ingest'),
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...head, events: batch.map((b) => b.entry) }),
          eventIds: batch.map((b) => b.id),
          parts: batch.map((b) => ({ ...head, events: [b.entry] })),
        });
      }
    }
    return { requests, skipped };
  },

  classify(res: HttpResponse, req: OutgoingRequest, dest: DestinationConfig): Outcome | Outcome[] {
    if (res.status === 401) {
      // An access token revoked or expired early: fetch a new one and try again.
      return {
        status: 'retry',
        error: `HTTP 401: ${res.body.slice(0, 200)}`,
        invalidateAuth: true,
      };
    }
    const http = classifyHttp(res);
    if (http.status !== 'succeeded' || dest.settings.api !== 'legacy') return http;
    const partial = obj(parseJson(res.body)).partialFailureError;
    if (!isObject(partial) || Object.keys(partial).length === 0) return http;
    const rows = failedRows(partial);
    const message = str(partial.message) ?? 'partial failure';
    // Rows Google did not name individually: the whole message applies to all of them.
    return req.eventIds.map((_, i) =>
      rows.size === 0
        ? { status: 'dead', error: message }
        : rows.has(i)
          ? { status: 'dead', error: rows.get(i) as string }
          : { status: 'succeeded' },
    );
  },
};
