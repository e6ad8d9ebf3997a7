import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import type { JsonObject } from '../message/canonical-message';
import { LruCache } from './lru-cache';

export interface ParsedUserAgent {
  /** `{ browser: {name, version}, os: {name, version}, device: {type, vendor, model} }` */
  details: JsonObject;
  bot: boolean;
}

/** Longer strings are not real user agents; they are cut before parsing so a hostile one stays cheap. */
const MAX_UA_LENGTH = 1024;

/**
 * Parsing a user agent costs about 0.1 ms with ua-parser-js, which would dominate ingestion at
 * thousands of messages a second; real traffic repeats a few hundred distinct strings, so a small
 * LRU keeps the cost to a map lookup.
 */
export class UserAgentParser {
  private readonly cache: LruCache<string, ParsedUserAgent>;

  constructor(capacity = 1000) {
    this.cache = new LruCache(capacity);
  }

  parse(userAgent: string): ParsedUserAgent {
    const ua = userAgent.length > MAX_UA_LENGTH ? userAgent.slice(0, MAX_UA_LENGTH) : userAgent;
    const hit = this.cache.get(ua);
    if (hit) return hit;
    const r = UAParser(ua);
    const parsed: ParsedUserAgent = {
      details: {
        browser: { name: r.browser.name ?? null, version: r.browser.version ?? null },
        os: { name: r.os.name ?? null, version: r.os.version ?? null },
        device: {
          // ua-parser-js names mobile, tablet, smarttv, ... and leaves desktops unnamed; a string it
          // recognised a browser in but no device type is a desktop one.
          type: r.device.type ?? (r.browser.name ? 'desktop' : null),
          vendor: r.device.vendor ?? null,
          model: r.device.model ?? null,
        },
      },
      bot: isbot(ua),
    };
    this.cache.set(ua, parsed);
    return parsed;
  }
}
