import { attributionFromUrl } from '../../common/campaign';
import type { EventView, Json, JsonObject } from '../../ingestion/message/canonical-message';
import type { Attribution } from '../profile-view';

/**
 * Traits with the event time each key was last set at. Every combination below is a per-key maximum
 * over (time, value), so the result is the same whatever order the messages arrive in, and merging
 * two profiles gives what one profile would have had from both histories.
 */
export interface TimedTraits {
  values: JsonObject;
  times: Record<string, number>;
}

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Equal times are settled by the value's JSON text so that ties, too, do not depend on arrival order. */
function laterWins(aTime: number, aValue: Json, bTime: number, bValue: Json): boolean {
  if (aTime !== bTime) return aTime > bTime;
  return JSON.stringify(aValue) > JSON.stringify(bValue);
}

/** Folds `incoming` (all keys set at `at`) into `into`; true when anything changed. */
export function applyTraits(into: TimedTraits, incoming: JsonObject, at: number): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const have = into.times[key];
    if (have === undefined || laterWins(at, value, have, into.values[key] ?? null)) {
      into.values[key] = value;
      into.times[key] = at;
      changed = true;
    }
  }
  return changed;
}

export function mergeTraits(into: TimedTraits, from: TimedTraits): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(from.values)) {
    changed = applyTraits(into, { [key]: value }, from.times[key] ?? 0) || changed;
  }
  return changed;
}

/**
 * The traits a message sets on its person: `context.traits` (any call; analytics.js copies the
 * user's traits there) under `traits` of an identify call. Group traits describe the company.
 */
export function traitsOf(event: Pick<EventView, 'type' | 'traits' | 'context'>): JsonObject | null {
  const ctx = isObject(event.context.traits) ? event.context.traits : {};
  const own = event.type === 'identify' ? event.traits : {};
  const out = { ...ctx, ...own };
  return Object.keys(out).length > 0 ? out : null;
}

function strings(v: Json | undefined, limit = 500): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' && x.length > 0) out[k] = x.slice(0, limit);
  }
  return out;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function str(v: Json | undefined): string | null {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 2048) : null;
}

/**
 * The touch a message records, or null when it carries no sign of where the visit came from (a
 * campaign, a click id, or a referrer from another site). Campaign and click ids come from
 * `context.campaign` / `context.clickIds` as enrichment set them, else from the page URL itself.
 */
export function touchOf(event: Pick<EventView, 'context' | 'timestamp'>): Attribution | null {
  const ctx = event.context;
  const page = isObject(ctx.page) ? ctx.page : {};
  const url = str(page.url);
  const referrer = str(page.referrer);
  let campaign: JsonObject = strings(ctx.campaign);
  let clickIds = strings(ctx.clickIds);
  if (Object.keys(campaign).length === 0 && Object.keys(clickIds).length === 0 && url) {
    const fromUrl = attributionFromUrl(url);
    campaign = fromUrl.campaign;
    clickIds = fromUrl.clickIds as Record<string, string>;
  }
  const refHost = hostOf(referrer);
  const externalReferrer = refHost !== null && refHost !== hostOf(url);
  if (
    Object.keys(campaign).length === 0 &&
    Object.keys(clickIds).length === 0 &&
    !externalReferrer
  ) {
    return null;
  }
  const at = new Date(event.timestamp);
  const touch: Attribution = { campaign, referrer, clickIds, url, at: at.toISOString() };
  const cookies = isObject(ctx.cookies) ? ctx.cookies : {};
  // Meta's click cookie is fb.1.<creation ms>.<fbclid>: the click's own time, fbclid exactly as sent.
  if (clickIds.fbclid) touch.fbc = `fb.1.${at.getTime()}.${clickIds.fbclid}`;
  else {
    const fbc = str(ctx.fbc) ?? str(cookies._fbc);
    if (fbc) touch.fbc = fbc;
  }
  const fbp = str(ctx.fbp) ?? str(cookies._fbp);
  if (fbp) touch.fbp = fbp;
  return touch;
}

/** Orders touches by event time, then by content, so first and last never depend on arrival order. */
export function compareTouches(a: Attribution, b: Attribution): number {
  const t = Date.parse(a.at) - Date.parse(b.at);
  if (t !== 0) return t;
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface Touches {
  first: Attribution | null;
  last: Attribution | null;
}

/** Keeps the earliest and the latest touch; true when either changed. */
export function applyTouch(into: Touches, touch: Attribution | null): boolean {
  if (!touch) return false;
  let changed = false;
  if (!into.first || compareTouches(touch, into.first) < 0) {
    into.first = touch;
    changed = true;
  }
  if (!into.last || compareTouches(touch, into.last) > 0) {
    into.last = touch;
    changed = true;
  }
  return changed;
}
