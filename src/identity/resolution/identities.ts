import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { EventView, Json, JsonObject } from '../../ingestion/message/canonical-message';
import { IDENTITY_TYPES, type IdentityType } from '../profile-view';

export interface Identity {
  type: IdentityType;
  value: string;
}

/** The placeholder analytics libraries send when cookies are off: shared by everyone, never an identity. */
export const COOKIELESS = 'cookieless';
const MAX_VALUE = 255;
/** Deliberately loose: the point is to keep "n/a", "-" and the like from linking unrelated people. */
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

export const identityKey = (i: Identity): string => `${i.type}:${i.value}`;

export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const v = raw.trim().toLowerCase();
  return v.length > 0 && v.length <= MAX_VALUE && EMAIL_RE.test(v) ? v : null;
}

/** E.164 (`+14155552671`) or null when the number is not a valid one in its (or the default) region. */
export function normalizePhone(raw: unknown, defaultRegion: string): string | null {
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
  if (typeof raw !== 'string' || raw.trim().length === 0 || raw.length > 64) return null;
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultRegion as CountryCode);
  // Validity, not mere possibility: a junk number like 000-000-0000 must not merge strangers.
  return parsed && parsed.isValid() ? parsed.number : null;
}

function normalizeId(raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
  if (typeof raw !== 'string') return null;
  const v = raw.trim();
  if (v.length === 0 || v.length > MAX_VALUE || v.toLowerCase() === COOKIELESS) return null;
  return v;
}

/** Normalises a value of the given type the same way resolution does; null when it is no identity. */
export function normalizeIdentity(
  type: IdentityType,
  raw: unknown,
  defaultRegion: string,
): string | null {
  switch (type) {
    case 'email':
      return normalizeEmail(raw);
    case 'phone':
      return normalizePhone(raw, defaultRegion);
    default:
      return normalizeId(raw);
  }
}

export const isIdentityType = (t: string): t is IdentityType =>
  (IDENTITY_TYPES as readonly string[]).includes(t);

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `traits.x` wins over `context.traits.x`: the former is what the caller meant to set. */
function traitValue(event: Pick<EventView, 'traits' | 'context'>, key: string): Json | undefined {
  const own = event.traits[key];
  if (own !== undefined && own !== null && own !== '') return own;
  const ctx = event.context.traits;
  return isObject(ctx) ? ctx[key] : undefined;
}

export type IdentitySource = Pick<
  EventView,
  'type' | 'userId' | 'anonymousId' | 'previousId' | 'traits' | 'context'
>;

/**
 * The identities a message carries. `previousId` (alias) is the id the person had before, which in
 * practice is the anonymous id the browser used; it is stored as an anonymousId. Group traits
 * describe the company, so a group call's `traits.email` is not the person's.
 */
export function identitiesOf(event: IdentitySource, defaultRegion: string): Identity[] {
  const out: Identity[] = [];
  const add = (type: IdentityType, raw: unknown) => {
    const value = normalizeIdentity(type, raw, defaultRegion);
    if (value !== null && !out.some((i) => i.type === type && i.value === value))
      out.push({ type, value });
  };
  add('userId', event.userId);
  add('anonymousId', event.anonymousId);
  if (event.type === 'alias') add('anonymousId', event.previousId);
  const personal = event.type === 'group' ? { traits: {}, context: event.context } : event;
  add('email', traitValue(personal, 'email'));
  add('phone', traitValue(personal, 'phone'));
  return out;
}
