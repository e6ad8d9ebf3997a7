import { newId } from '../../common/ids';
import { CanonicalMessage, JsonObject, MESSAGE_TYPES, MessageType } from './canonical-message';

/** One message's size limit, in bytes of its JSON. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_BATCH_MESSAGES = 2500;
const MAX_ID_LENGTH = 255;
/**
 * MariaDB's json_valid refuses documents nested 32 levels or deeper (MySQL allows 100); the stored
 * payload is the message itself, so the message may nest at most this deep.
 */
export const MAX_MESSAGE_DEPTH = 30;

export interface NormalizeInput {
  raw: unknown;
  /** The type implied by a single-message route (`/v1/track`); a batch entry must carry its own. */
  impliedType?: MessageType;
  batchContext?: JsonObject;
  batchSentAt?: unknown;
  receivedAt: Date;
  /** The route has established whom the message is about otherwise (see IngestRequest.identifiedBy). */
  identified?: boolean;
}

export type NormalizeResult =
  | {
      ok: true;
      message: CanonicalMessage;
      /** The message as received, made storable. */ payload: JsonObject;
    }
  | { ok: false; messageId: string | null; errors: string[] };

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** ISO 8601 with a date part; `Date.parse` alone accepts too much ("1", "March 7"). */
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export function parseIsoTime(value: unknown): Date | null | 'invalid' {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !ISO_8601.test(value.trim())) return 'invalid';
  const d = new Date(value.trim().replace(',', '.'));
  const t = d.getTime();
  // DATETIME holds years 1000..9999; anything outside is a client bug, not an event time.
  if (Number.isNaN(t) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) return 'invalid';
  return d;
}

/**
 * Segment's clock-skew correction: the client's clock may be wrong, but the interval between the
 * event and the send is right, so the event happened that long before we received the batch.
 */
export function correctSkew(
  receivedAt: Date,
  sentAt: Date | null,
  originalTimestamp: Date | null,
): Date {
  if (sentAt && originalTimestamp) {
    return new Date(receivedAt.getTime() - (sentAt.getTime() - originalTimestamp.getTime()));
  }
  return originalTimestamp ?? receivedAt;
}

/** Ids may be strings or numbers (Segment accepts numeric userIds); numbers are stored as strings. */
function readId(msg: JsonObject, field: string, errors: string[]): string | null {
  const v = msg[field];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') {
    errors.push(`${field} must be a string`);
    return null;
  }
  const s = v.trim();
  if (s.length > MAX_ID_LENGTH) {
    errors.push(`${field} must be at most ${MAX_ID_LENGTH} characters`);
    return null;
  }
  return s || null;
}

function readObject(msg: JsonObject, field: string, errors: string[]): JsonObject {
  const v = msg[field];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    errors.push(`${field} must be an object`);
    return {};
  }
  return v;
}

function readString(msg: JsonObject, field: string, errors: string[]): string | null {
  const v = msg[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    errors.push(`${field} must be a string`);
    return null;
  }
  if (v.length > MAX_ID_LENGTH) {
    errors.push(`${field} must be at most ${MAX_ID_LENGTH} characters`);
    return null;
  }
  return v;
}

type WellFormedString = string & { toWellFormed(): string; isWellFormed(): boolean };

/**
 * Returns the value with lone UTF-16 surrogates replaced (in keys and strings) — MySQL and MariaDB
 * refuse JSON holding them, and one such string would fail the whole multi-row insert — or null
 * when it nests deeper than `maxDepth`. Copy-on-write: a value that needs no change is returned as
 * is (the common case, so the ingest path neither copies messages nor serialises them twice). Keys
 * such as `__proto__` stay plain own properties.
 */
export function sanitizeJson(value: unknown, maxDepth = MAX_MESSAGE_DEPTH, depth = 0): unknown {
  if (typeof value === 'string') {
    const s = value as WellFormedString;
    return s.isWellFormed() ? value : s.toWellFormed();
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= maxDepth) return null;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = sanitizeJson(value[i], maxDepth, depth + 1);
      if (v === null && value[i] !== null) return null;
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const entries = Object.entries(value);
  let changed = false;
  for (const entry of entries) {
    const [k, raw] = entry;
    const v = sanitizeJson(raw, maxDepth, depth + 1);
    if (v === null && raw !== null) return null;
    const key = (k as WellFormedString).isWellFormed() ? k : (k as WellFormedString).toWellFormed();
    if (v !== raw || key !== k) {
      entry[0] = key;
      entry[1] = v;
      changed = true;
    }
  }
  if (!changed) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Deep merge of plain objects: `own` wins, nested objects merge. */
export function mergeContext(base: JsonObject, own: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(own)) {
    const b = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    // defineProperty, not assignment: a `__proto__` key must stay data, never become a prototype.
    Object.defineProperty(out, k, {
      value: isObject(b) && isObject(v) ? mergeContext(b, v) : v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Validates one Segment-spec message and turns it into the canonical form, or lists every error. */
export function normalizeMessage(input: NormalizeInput): NormalizeResult {
  const { receivedAt } = input;
  if (!isObject(input.raw)) {
    return { ok: false, messageId: null, errors: ['message must be a JSON object'] };
  }
  const raw = sanitizeJson(input.raw) as JsonObject | null;
  if (raw === null) {
    const id = input.raw.messageId;
    return {
      ok: false,
      messageId: typeof id === 'string' && id.length <= MAX_ID_LENGTH ? id : null,
      errors: [`message nests deeper than ${MAX_MESSAGE_DEPTH} levels`],
    };
  }
  const errors: string[] = [];
  const messageIdRaw = readId(raw, 'messageId', errors);

  let type: MessageType | null = null;
  const rawType = raw.type;
  if (input.impliedType) {
    if (rawType !== undefined && rawType !== input.impliedType) {
      errors.push(`type must be "${input.impliedType}" on this route`);
    }
    type = input.impliedType;
  } else if (typeof rawType !== 'string') {
    errors.push(`type is required: one of ${MESSAGE_TYPES.join(', ')}`);
  } else if (!(MESSAGE_TYPES as readonly string[]).includes(rawType)) {
    errors.push(`type must be one of ${MESSAGE_TYPES.join(', ')} (got "${rawType.slice(0, 40)}")`);
  } else {
    type = rawType as MessageType;
  }

  const userId = readId(raw, 'userId', errors);
  const anonymousId = readId(raw, 'anonymousId', errors);
  const previousId = readId(raw, 'previousId', errors);
  const groupId = readId(raw, 'groupId', errors);
  const event = readString(raw, 'event', errors);
  const name = readString(raw, 'name', errors);
  const properties = readObject(raw, 'properties', errors);
  const traits = readObject(raw, 'traits', errors);
  const ownContext = readObject(raw, 'context', errors);
  const integrations = readObject(raw, 'integrations', errors);

  const originalTimestamp = parseIsoTime(raw.timestamp ?? raw.originalTimestamp);
  if (originalTimestamp === 'invalid') errors.push('timestamp is not an ISO 8601 time');
  const sentAt = parseIsoTime(raw.sentAt ?? input.batchSentAt);
  if (sentAt === 'invalid') errors.push('sentAt is not an ISO 8601 time');

  if (type === 'alias') {
    if (!userId) errors.push('userId is required for alias');
    if (!previousId) errors.push('previousId is required for alias');
  } else if (type) {
    if (!userId && !anonymousId && !input.identified)
      errors.push('userId or anonymousId is required');
  }
  if (type === 'track' && !event) errors.push('event is required for track');
  if (type === 'group' && !groupId) errors.push('groupId is required for group');

  if (errors.length > 0 || !type || originalTimestamp === 'invalid' || sentAt === 'invalid') {
    return { ok: false, messageId: messageIdRaw, errors };
  }
  const timestamp = correctSkew(receivedAt, sentAt, originalTimestamp);
  const year = timestamp.getUTCFullYear();
  if (Number.isNaN(year) || year < 1970 || year > 9999) {
    return {
      ok: false,
      messageId: messageIdRaw,
      errors: [
        'timestamp corrected for clock skew (receivedAt - (sentAt - timestamp)) is before 1970 or after 9999',
      ],
    };
  }
  const context = input.batchContext ? mergeContext(input.batchContext, ownContext) : ownContext;
  return {
    ok: true,
    payload: raw,
    message: {
      type,
      messageId: messageIdRaw ?? newId(receivedAt.getTime()),
      userId,
      anonymousId,
      event: type === 'track' ? event : null,
      name: type === 'page' || type === 'screen' ? name : null,
      properties,
      traits,
      groupId: type === 'group' ? groupId : null,
      previousId: type === 'alias' ? previousId : null,
      context,
      integrations,
      timestamp,
      originalTimestamp,
      sentAt,
      receivedAt,
    },
  };
}
