import { BadRequestException } from '@nestjs/common';
import type { JsonObject } from './canonical-message';
import { MAX_MESSAGE_DEPTH, sanitizeJson } from './normalize-message';

/** A hit on the Zenovay-compatible browser endpoint, validated. */
export interface PixelHit {
  type: 'pageview' | 'event';
  url: string;
  referrer: string | null;
  title: string | null;
  /** The event name (events) or the page name (pageviews, optional). */
  name: string | null;
  data: JsonObject;
}

const MAX_URL_LENGTH = 8192;
const MAX_NAME_LENGTH = 255;

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(body: JsonObject, field: string, max: number): string | null {
  const v = body[field];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new BadRequestException(`${field} must be a string`);
  if (v.length > max) throw new BadRequestException(`${field} must be at most ${max} characters`);
  return v;
}

/** Absolute http(s) URLs, or paths (Zenovay's Express example sends `req.originalUrl`). */
function checkUrl(url: string): void {
  if (url.startsWith('/')) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequestException('url must be an absolute http(s) URL or a path starting with /');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BadRequestException('url must use http or https');
  }
}

/** `{ type: "pageview" | "event", url, referrer?, name? (required for events), data?, title? }` */
export function parsePixelHit(body: JsonObject): PixelHit {
  const type = body.type;
  if (type !== 'pageview' && type !== 'event') {
    throw new BadRequestException(
      type === undefined
        ? 'type is required: "pageview" or "event"'
        : `type must be "pageview" or "event" (got ${JSON.stringify(type).slice(0, 40)})`,
    );
  }
  if (body.url === undefined || body.url === null || body.url === '') {
    throw new BadRequestException('url is required');
  }
  const url = optionalString(body, 'url', MAX_URL_LENGTH) as string;
  checkUrl(url);
  const name = optionalString(body, 'name', MAX_NAME_LENGTH);
  if (type === 'event' && !name) throw new BadRequestException('name is required for type "event"');
  const data = body.data;
  if (data !== undefined && data !== null && !isObject(data)) {
    throw new BadRequestException('data must be an object');
  }
  // `data` becomes the message's properties, one level down: too deep, and the answer must name
  // `data` rather than the message the caller never wrote.
  if (isObject(data) && sanitizeJson(data, MAX_MESSAGE_DEPTH - 1) === null) {
    throw new BadRequestException(`data nests deeper than ${MAX_MESSAGE_DEPTH - 1} levels`);
  }
  return {
    type,
    url,
    referrer: optionalString(body, 'referrer', MAX_URL_LENGTH),
    title: optionalString(body, 'title', 1000),
    name,
    data: isObject(data) ? data : {},
  };
}

/** Segment's page fields of a url: `{ url, path, search, referrer?, title? }`. */
export function pageFields(hit: PixelHit): JsonObject {
  const parsed = new URL(hit.url, 'http://relative.invalid');
  const page: JsonObject = { url: hit.url, path: parsed.pathname, search: parsed.search };
  if (hit.referrer) page.referrer = hit.referrer;
  if (hit.title) page.title = hit.title;
  return page;
}

/**
 * The Segment-spec message a hit becomes: a pageview is a `page` whose properties are the page
 * fields (plus `data`), an event a `track` of `name` with `data` as properties. Both carry the page
 * in `context.page`, where enrichment reads utm_* and click ids.
 */
export function pixelHitToMessage(hit: PixelHit, anonymousId: string): JsonObject {
  const page = pageFields(hit);
  if (hit.type === 'pageview') {
    return {
      type: 'page',
      anonymousId,
      name: hit.name,
      properties: { ...hit.data, ...page },
      context: { page },
    };
  }
  return { type: 'track', anonymousId, event: hit.name, properties: hit.data, context: { page } };
}
