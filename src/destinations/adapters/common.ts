import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { attributionFromUrl } from '../../common/campaign';
import { sha256Hex } from '../../common/keys';
import type { Attribution, ProfileView } from '../../identity/profile-view';
import type { EventView, Json, JsonObject } from '../../ingestion/message/canonical-message';
import type { DestinationConfig, DestinationFilter } from '../destination-types';
import type { AdapterInput, DestinationAdapter, HttpResponse, Outcome } from './adapter';

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== ''
    ? v.trim()
    : typeof v === 'number'
      ? String(v)
      : undefined;
export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Drops undefined, null, empty strings, empty arrays and empty objects, so bodies carry only data. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as T;
}

/** Joins a base URL (a setting may override it) and a path without doubling slashes. */
export const joinUrl = (base: string, path: string): string =>
  `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;

export const baseUrl = (dest: DestinationConfig, fallback: string): string =>
  str(dest.settings.endpoint) ?? fallback;

// ---------------------------------------------------------------- matching

export function passesFilter(filter: DestinationFilter, event: EventView): boolean {
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  if (event.type === 'track' && event.event) {
    if (filter.events && filter.events.length > 0 && !filter.events.includes(event.event))
      return false;
    if (filter.excludeEvents?.includes(event.event)) return false;
  }
  return true;
}

/** Whether an event goes to a destination: the platform takes its type, the filter and mapping let it. */
export function destinationAccepts(
  adapter: DestinationAdapter,
  dest: DestinationConfig,
  event: EventView,
): boolean {
  if (!adapter.types.includes(event.type)) return false;
  if (!passesFilter(dest.filter, event)) return false;
  return adapter.accepts ? adapter.accepts(event, dest) : true;
}

/** The mapped platform event name, or null when neither the destination nor the defaults map it. */
export function mappedName(
  adapter: DestinationAdapter,
  dest: DestinationConfig,
  event: EventView,
): string | null {
  const key = event.type === 'track' ? event.event : event.type;
  if (!key) return null;
  return dest.mapping[key] ?? adapter.defaultMapping[key] ?? null;
}

// ---------------------------------------------------------------- responses

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(res: HttpResponse, now = Date.now()): number | undefined {
  const raw = res.headers['retry-after'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export const snippet = (body: string, max = 300): string =>
  body.length > max ? `${body.slice(0, max)}…` : body;

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The common rule: 2xx succeeded; network errors (handled by the caller), 408, 429 and 5xx other than
 * 501 and 505 retry (429 after its Retry-After at least); any other status is dead.
 */
export function classifyHttp(res: HttpResponse, detail?: string): Outcome {
  const { status } = res;
  if (status >= 200 && status < 300) return { status: 'succeeded' };
  const error = `HTTP ${status}${detail ? `: ${detail}` : res.body ? `: ${snippet(res.body)}` : ''}`;
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    return { status: 'retry', error, retryAfterMs: retryAfterMs(res) };
  }
  return { status: 'dead', error };
}

// ---------------------------------------------------------------- user data

const HASHED = /^[0-9a-f]{64}$/i;

/** SHA-256 hex of a normalised value; a value already 64 hex characters is taken as hashed. */
export function hashed(value: string): string {
  return HASHED.test(value) ? value.toLowerCase() : sha256Hex(value);
}

export function normalizeEmail(v: string): string {
  return HASHED.test(v) ? v.toLowerCase() : v.trim().toLowerCase();
}

/** As identity resolution judges it: "n/a" or "-" in an email trait is no address to hash and send. */
const isEmail = (v: string): boolean => HASHED.test(v) || /^[^\s@]+@[^\s@]+$/.test(v);

/** Google's rule on top: gmail.com / googlemail.com addresses lose the dots of the local part. */
export function normalizeEmailForGoogle(v: string): string {
  const e = normalizeEmail(v);
  const m = /^([^@]+)@(gmail\.com|googlemail\.com)$/.exec(e);
  return m ? `${m[1].replace(/\./g, '')}@${m[2]}` : e;
}

/**
 * E.164 with the `+`, or null when the value is no phone number. Without a country code the
 * country of the person (from traits) is the default region.
 */
export function normalizePhone(v: string, country?: string): string | null {
  if (HASHED.test(v)) return v.toLowerCase();
  const region =
    country && /^[a-z]{2}$/i.test(country) ? (country.toUpperCase() as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(v, region);
  if (parsed?.isValid()) return parsed.number;
  // As Meta's own SDK does: keep the digits when they could be a full international number.
  const digits = v.replace(/\D/g, '');
  return digits.length >= 7 && digits.length <= 15 && /^\s*(\+|00)/.test(v)
    ? `+${digits.replace(/^00/, '')}`
    : null;
}

const lettersOnly = (v: string): string =>
  v
    .toLowerCase()
    .normalize('NFC')
    .replace(/[\s\p{P}\p{S}\d]/gu, '');

/**
 * The profile's only identity of a type (its userId, its one anonymousId), or null when it has none
 * or several, or when the profile is contested: a contested profile belongs to no one person, so
 * its ids must not be lent to an event.
 */
export function soleIdentity(
  profile: ProfileView | null,
  type: 'userId' | 'anonymousId',
): string | null {
  if (!profile || (profile.contestedBy && profile.contestedBy.length > 0)) return null;
  const values = profile.identities.filter((i) => i.type === type).map((i) => i.value);
  return values.length === 1 ? values[0] : null;
}

export interface Person {
  emails: string[];
  /** E.164 with `+`, or already hashed. */
  phones: string[];
  userId: string | null;
  anonymousId: string | null;
  firstName?: string;
  lastName?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
  ip?: string;
  userAgent?: string;
}

function uniq(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

/**
 * Who the event is about, from the message first (traits, context.traits, properties) and then from the
 * resolved profile (its traits and email / phone identities). Values normalised, not yet hashed.
 */
export function personOf({ event, profile }: AdapterInput): Person {
  const ctx = obj(event.context);
  const sources: JsonObject[] = [
    obj(event.traits),
    obj(ctx.traits),
    obj(event.properties),
    obj(profile?.traits),
  ];
  const pick = (...keys: string[]): string | undefined => {
    for (const s of sources) {
      for (const k of keys) {
        const v = str(s[k]);
        if (v) return v;
      }
    }
    return undefined;
  };
  const address = (key: string, ...alt: string[]): string | undefined => {
    for (const s of sources) {
      const a = obj(s.address);
      for (const k of [key, ...alt]) {
        const v = str(a[k]) ?? str(s[k]);
        if (v) return v;
      }
    }
    return undefined;
  };
  const identities = (type: string) =>
    (profile?.identities ?? []).filter((i) => i.type === type).map((i) => i.value);
  const country = address('country');
  const countryCode = country && /^[a-z]{2}$/i.test(country) ? country.toLowerCase() : undefined;
  const rawEmails = uniq([...sources.map((s) => str(s.email)), ...identities('email')]);
  const rawPhones = uniq([...sources.map((s) => str(s.phone)), ...identities('phone')]);
  const zip = address('postal_code', 'postalCode', 'zip');
  const city = address('city');
  const state = address('state');
  return {
    emails: uniq(rawEmails.map(normalizeEmail).filter(isEmail)),
    phones: uniq(rawPhones.map((p) => normalizePhone(p, countryCode) ?? undefined)),
    // An anonymous event after the person was identified still belongs to that userId.
    userId: event.userId ?? soleIdentity(profile, 'userId'),
    anonymousId: event.anonymousId ?? soleIdentity(profile, 'anonymousId'),
    firstName: pick('firstName', 'first_name')?.toLowerCase(),
    lastName: pick('lastName', 'last_name')?.toLowerCase(),
    city: city ? lettersOnly(city) || undefined : undefined,
    state: state ? lettersOnly(state) || undefined : undefined,
    zip: zip ? zip.split('-')[0].replace(/\s/g, '').toLowerCase() || undefined : undefined,
    country: countryCode,
    ip: str(ctx.ip),
    userAgent: str(ctx.userAgent),
  };
}

/** The page the event happened on: context.page.url, or a page call's own url. */
export function pageOf(event: EventView): { url?: string; referrer?: string; title?: string } {
  const page = obj(obj(event.context).page);
  const props = obj(event.properties);
  return {
    url: str(page.url) ?? (event.type === 'page' ? str(props.url) : undefined),
    referrer: str(page.referrer) ?? (event.type === 'page' ? str(props.referrer) : undefined),
    title: str(page.title) ?? (event.type === 'page' ? str(props.title) : undefined),
  };
}

export interface ClickId {
  value: string;
  /** When the click happened, as far as we know (ms). */
  at: number;
  from: 'message' | 'profile';
}

const attributionTime = (a: Attribution, fallback: number): number => {
  const t = Date.parse(a.at);
  return Number.isNaN(t) ? fallback : t;
};

/**
 * A click id (`gclid`, `fbclid`, `ttclid`, ...) from the message (`context.clickIds`, or the page URL)
 * or else from the profile's last-touch then first-touch attribution. Values are kept as they stood in
 * the URL: never lowercased or decoded twice.
 */
export function clickIdOf(name: string, { event, profile }: AdapterInput): ClickId | null {
  const at = Date.parse(event.timestamp);
  const ctx = obj(event.context);
  const fromMessage =
    str(obj(ctx.clickIds)[name]) ??
    attributionFromUrl(pageOf(event).url).clickIds[
      name as keyof ReturnType<typeof attributionFromUrl>['clickIds']
    ];
  if (fromMessage) return { value: fromMessage, at, from: 'message' };
  for (const a of [profile?.attribution.last, profile?.attribution.first]) {
    const v = a?.clickIds?.[name];
    if (a && v) return { value: v, at: attributionTime(a, at), from: 'profile' };
  }
  return null;
}

/** Meta's click cookie: `_fbc` as sent, else built from an fbclid as `fb.1.<click ms>.<fbclid>`. */
export function fbcOf(input: AdapterInput): string | undefined {
  const ctx = obj(input.event.context);
  const given = str(ctx.fbc) ?? str(obj(ctx.cookies)._fbc);
  if (given) return given;
  const fromMessage = clickIdOf('fbclid', { ...input, profile: null });
  if (fromMessage) return `fb.1.${fromMessage.at}.${fromMessage.value}`;
  for (const a of [input.profile?.attribution.last, input.profile?.attribution.first]) {
    if (a?.fbc) return a.fbc;
    if (a?.clickIds?.fbclid)
      return `fb.1.${attributionTime(a, Date.parse(input.event.timestamp))}.${a.clickIds.fbclid}`;
  }
  return undefined;
}

/** Meta's browser id cookie `_fbp`, from the message or kept on the profile. */
export function fbpOf({ event, profile }: AdapterInput): string | undefined {
  const ctx = obj(event.context);
  return (
    str(ctx.fbp) ??
    str(obj(ctx.cookies)._fbp) ??
    profile?.attribution.last?.fbp ??
    profile?.attribution.first?.fbp ??
    undefined
  );
}

// ---------------------------------------------------------------- ecommerce

export interface Item {
  id?: string;
  name?: string;
  price?: number;
  quantity?: number;
  category?: string;
  brand?: string;
  variant?: string;
}

export interface Ecommerce {
  value?: number;
  currency?: string;
  orderId?: string;
  items: Item[];
  query?: string;
  coupon?: string;
}

function itemOf(p: JsonObject): Item {
  return compact({
    id: str(p.product_id) ?? str(p.sku) ?? str(p.id),
    name: str(p.name),
    price: num(p.price),
    quantity: num(p.quantity),
    category: str(p.category),
    brand: str(p.brand),
    variant: str(p.variant),
  });
}

/** Segment's ecommerce spec: `products[]` or one product at the top level, revenue/total/value, currency. */
export function ecommerceOf(event: EventView, defaultCurrency = 'USD'): Ecommerce {
  const p = obj(event.properties);
  const products = Array.isArray(p.products)
    ? (p.products as Json[]).filter(isObject).map(itemOf)
    : [];
  const single = itemOf(p);
  const items = products.length > 0 ? products : single.id ? [single] : [];
  const unit = num(p.price);
  const value =
    num(p.revenue) ??
    num(p.total) ??
    num(p.value) ??
    (unit !== undefined ? unit * (num(p.quantity) ?? 1) : undefined);
  const currency = str(p.currency)?.toUpperCase();
  return {
    ...compact({
      value,
      currency: currency ?? (value !== undefined ? defaultCurrency : undefined),
      orderId: str(p.order_id) ?? str(p.orderId),
      query: str(p.query),
      coupon: str(p.coupon),
    }),
    items,
  };
}

export const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function tooOld(
  event: EventView,
  windowMs: number | null,
  now: Date,
  label: string,
): string | null {
  if (windowMs === null) return null;
  const age = now.getTime() - Date.parse(event.timestamp);
  if (age <= windowMs) return null;
  return `event is ${Math.floor(age / 3600_000)} h old; ${label} accepts events up to ${windowMs / 3600_000} h old`;
}
