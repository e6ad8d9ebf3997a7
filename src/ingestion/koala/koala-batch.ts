import { BadRequestException } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { createHash } from 'node:crypto';
import { normalizeDomain } from '../../common/domain';
import { UUID_V4_RE } from '../../common/ids';
import type { IngestEntry } from '../commands/ingest-messages.command';
import type { JsonObject, MessageType } from '../message/canonical-message';
import { MAX_MESSAGE_DEPTH, parseIsoTime, sanitizeJson } from '../message/normalize-message';

/** Koala accepts at most this many entries in each list of a request. */
export const KOALA_LIST_LIMIT = 30;

export type KoalaList = 'identifies' | 'events' | 'page_views' | 'email';

/** One converted entry and where it stood in the Koala request (for the answer's rejections). */
export interface KoalaEntry {
  list: KoalaList;
  index: number;
  entry: IngestEntry;
  /** Valid account identifies: the traits to merge onto the account, with their event time. */
  accountTraits?: { traits: JsonObject; at: Date };
}

/** Whom a `/batch` request is about: Koala's anonymous `ko_id` and / or a known email. */
export interface KoalaPerson {
  profileId: string | null;
  email: string | null;
}

/** Which account an `/accounts/batch` request is about. `domain` is normalised. */
export interface KoalaAccountKey {
  domain: string | null;
  accountId: string | null;
}

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

export function readPerson(body: JsonObject): KoalaPerson {
  const { profile_id: rawProfile, email: rawEmail } = body;
  let profileId: string | null = null;
  let email: string | null = null;
  if (present(rawProfile)) {
    if (typeof rawProfile !== 'string' || !UUID_V4_RE.test(rawProfile.trim())) {
      throw new BadRequestException('profile_id must be a UUID v4 (the ko_id cookie value)');
    }
    profileId = rawProfile.trim().toLowerCase();
  }
  if (present(rawEmail)) {
    if (typeof rawEmail !== 'string' || rawEmail.length > 255 || !isEmail(rawEmail.trim())) {
      throw new BadRequestException('email must be an email address');
    }
    email = rawEmail.trim();
  }
  if (!profileId && !email) throw new BadRequestException('profile_id or email is required');
  return { profileId, email };
}

export function readAccountKey(body: JsonObject): KoalaAccountKey {
  const { domain: rawDomain, account_id: rawAccountId } = body;
  let domain: string | null = null;
  let accountId: string | null = null;
  if (present(rawDomain)) {
    domain = normalizeDomain(rawDomain);
    if (!domain) {
      const shown = typeof rawDomain === 'string' ? `"${rawDomain.slice(0, 100)}" ` : '';
      throw new BadRequestException(
        `domain ${shown}is not a domain name (expected e.g. "acme.com")`,
      );
    }
  }
  if (present(rawAccountId)) {
    const id =
      typeof rawAccountId === 'number' && Number.isFinite(rawAccountId)
        ? String(rawAccountId)
        : typeof rawAccountId === 'string'
          ? rawAccountId.trim()
          : '';
    if (!id || id.length > 255) {
      throw new BadRequestException(
        'account_id must be a non-empty string of at most 255 characters',
      );
    }
    accountId = id;
  }
  if (!domain && !accountId) throw new BadRequestException('domain or account_id is required');
  return { domain, accountId };
}

/** A list of the request, checked as a whole: an array of at most KOALA_LIST_LIMIT entries. */
export function readList(body: JsonObject, list: KoalaList): unknown[] {
  const v = body[list];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BadRequestException(`${list} must be an array`);
  if (v.length > KOALA_LIST_LIMIT) {
    throw new BadRequestException(
      `${list} holds ${v.length} entries; at most ${KOALA_LIST_LIMIT} are allowed per request`,
    );
  }
  return v;
}

/** The fields every Koala entry may carry, read into a Segment message skeleton. */
function readCommon(
  raw: unknown,
  path: string,
  type: MessageType,
  koalaType: string | null,
  errors: string[],
): { message: JsonObject; at: Date | null; entry: JsonObject } {
  if (!isObject(raw)) {
    errors.push(`${path} must be a JSON object`);
    return { message: {}, at: null, entry: {} };
  }
  const message: JsonObject = { type };
  if (koalaType && raw.type !== undefined && raw.type !== koalaType) {
    errors.push(`${path}.type must be "${koalaType}"`);
  }
  const id = raw.message_id;
  if (typeof id === 'number' && Number.isFinite(id)) message.messageId = String(id);
  else if (typeof id === 'string' && id.trim() && id.length <= 255) message.messageId = id.trim();
  else if (present(id))
    errors.push(`${path}.message_id must be a string of at most 255 characters`);
  const sentAt = parseIsoTime(raw.sent_at);
  let at: Date | null = null;
  if (sentAt === 'invalid') errors.push(`${path}.sent_at is not an ISO 8601 time`);
  else if (sentAt) {
    at = sentAt;
    // Koala's sent_at is the moment of the event: Segment's timestamp (no skew correction applies).
    message.timestamp = sentAt.toISOString();
  }
  return { message, at, entry: raw };
}

function optionalObject(
  raw: JsonObject,
  field: string,
  path: string,
  errors: string[],
): JsonObject {
  const v = raw[field];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    errors.push(`${path}.${field} must be an object`);
    return {};
  }
  return v;
}

function optionalString(
  raw: JsonObject,
  field: string,
  path: string,
  errors: string[],
  max: number,
): string | null {
  const v = raw[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max) {
    errors.push(`${path}.${field} must be a string of at most ${max} characters`);
    return null;
  }
  return v;
}

/** "One person per request": an entry naming somebody else is refused rather than misfiled. */
function checkSamePerson(
  entry: JsonObject,
  person: KoalaPerson,
  path: string,
  errors: string[],
): void {
  const p = entry.profile_id;
  if (present(p) && (typeof p !== 'string' || p.trim().toLowerCase() !== person.profileId)) {
    errors.push(`${path}.profile_id differs from the request's: one person per request`);
  }
  const e = entry.email;
  if (
    present(e) &&
    (typeof e !== 'string' || e.trim().toLowerCase() !== person.email?.toLowerCase())
  ) {
    errors.push(`${path}.email differs from the request's: one person per request`);
  }
}

function withPerson(
  message: JsonObject,
  person: KoalaPerson,
  context: JsonObject = {},
): JsonObject {
  const ctx: JsonObject = { ...context };
  // The email is the person's identity: identity resolution reads it from context.traits.
  if (person.email) ctx.traits = { email: person.email };
  return {
    ...message,
    ...(person.profileId ? { anonymousId: person.profileId } : {}),
    ...(Object.keys(ctx).length > 0 ? { context: ctx } : {}),
  };
}

function koalaEntry(
  list: KoalaList,
  index: number,
  message: JsonObject,
  payload: unknown,
  errors: string[],
): KoalaEntry {
  return {
    list,
    index,
    entry: { raw: message, payload, ...(errors.length ? { rejectedWith: errors } : {}) },
  };
}

/** `/batch`: identifies, events and page views of one person, as identify / track / page messages. */
export function personEntries(body: JsonObject, person: KoalaPerson): KoalaEntry[] {
  const identifies = readList(body, 'identifies');
  const events = readList(body, 'events');
  const pageViews = readList(body, 'page_views');
  const out: KoalaEntry[] = [];

  identifies.forEach((raw, i) => {
    const path = `identifies[${i}]`;
    const errors: string[] = [];
    const { message, entry } = readCommon(raw, path, 'identify', 'identify', errors);
    checkSamePerson(entry, person, path, errors);
    const traits = { ...optionalObject(entry, 'traits', path, errors) };
    if (person.email && !present(traits.email)) traits.email = person.email;
    out.push(koalaEntry('identifies', i, withPerson({ ...message, traits }, person), raw, errors));
  });
  // Koala's bare-bones identification is `{ profile_id, email }` alone. Its id is derived from the
  // pair, so the call a site makes on every login stores one identify, not one per call.
  if (person.email && identifies.length === 0) {
    const messageId = `koala-identify-${createHash('sha256')
      .update(`${person.profileId ?? ''}\n${person.email.toLowerCase()}`)
      .digest('hex')
      .slice(0, 40)}`;
    const message = { type: 'identify', messageId, traits: { email: person.email } };
    const payload = { profile_id: person.profileId, email: person.email };
    out.push(koalaEntry('email', 0, withPerson(message, person), payload, []));
  }

  events.forEach((raw, i) => {
    const path = `events[${i}]`;
    const errors: string[] = [];
    const { message, entry } = readCommon(raw, path, 'track', 'track', errors);
    checkSamePerson(entry, person, path, errors);
    const event = entry.event;
    if (typeof event !== 'string' || !event.trim()) errors.push(`${path}.event is required`);
    else if (event.length > 255) errors.push(`${path}.event must be at most 255 characters`);
    const properties = optionalObject(entry, 'properties', path, errors);
    out.push(
      koalaEntry(
        'events',
        i,
        withPerson({ ...message, event: event ?? null, properties }, person),
        raw,
        errors,
      ),
    );
  });

  pageViews.forEach((raw, i) => {
    const path = `page_views[${i}]`;
    const errors: string[] = [];
    const { message, entry } = readCommon(raw, path, 'page', null, errors);
    checkSamePerson(entry, person, path, errors);
    const url = optionalString(entry, 'url', path, errors, 8192);
    if (!url && !errors.some((e) => e.startsWith(`${path}.url`)))
      errors.push(`${path}.url is required`);
    const referrer = optionalString(entry, 'referrer', path, errors, 8192);
    const title = optionalString(entry, 'title', path, errors, 1024);
    const page: JsonObject = { url, referrer, title };
    const pageMessage = { ...message, properties: page };
    out.push(koalaEntry('page_views', i, withPerson(pageMessage, person, { page }), raw, errors));
  });
  return out;
}

/**
 * `/accounts/batch`: identifies become Segment `group` messages (a company's traits; groupId is the
 * tenant's group_id, else the account's external id, else its domain) and events track messages. Both
 * belong to the account, not to a person.
 */
export function accountEntries(
  body: JsonObject,
  key: KoalaAccountKey,
  receivedAt: Date,
): KoalaEntry[] {
  if (present(body.page_views)) {
    throw new BadRequestException(
      'page_views are not accepted on /accounts/batch: send them to /batch',
    );
  }
  const identifies = readList(body, 'identifies');
  const events = readList(body, 'events');
  const out: KoalaEntry[] = [];
  const accountGroupId = (key.accountId ?? key.domain) as string;

  identifies.forEach((raw, i) => {
    const path = `identifies[${i}]`;
    const errors: string[] = [];
    const { message, at, entry } = readCommon(raw, path, 'group', 'identify', errors);
    const traits = optionalObject(entry, 'traits', path, errors);
    const g = traits.group_id;
    const groupId =
      typeof g === 'number' ? String(g) : typeof g === 'string' && g.trim() ? g.trim() : null;
    if (present(g) && (!groupId || groupId.length > 255)) {
      errors.push(`${path}.traits.group_id must be a string of at most 255 characters`);
    }
    // Merged onto the account before the message is stored, so cleaned here the way the message is.
    const clean = sanitizeJson(traits, MAX_MESSAGE_DEPTH - 2) as JsonObject | null;
    if (clean === null)
      errors.push(`${path}.traits nest deeper than ${MAX_MESSAGE_DEPTH - 2} levels`);
    const e = koalaEntry(
      'identifies',
      i,
      { ...message, groupId: groupId ?? accountGroupId, traits },
      raw,
      errors,
    );
    if (errors.length === 0 && clean) e.accountTraits = { traits: clean, at: at ?? receivedAt };
    out.push(e);
  });

  events.forEach((raw, i) => {
    const path = `events[${i}]`;
    const errors: string[] = [];
    const { message, entry } = readCommon(raw, path, 'track', 'track', errors);
    const event = entry.event;
    if (typeof event !== 'string' || !event.trim()) errors.push(`${path}.event is required`);
    else if (event.length > 255) errors.push(`${path}.event must be at most 255 characters`);
    const properties = optionalObject(entry, 'properties', path, errors);
    out.push(
      koalaEntry('events', i, { ...message, event: event ?? null, properties }, raw, errors),
    );
  });
  return out;
}
