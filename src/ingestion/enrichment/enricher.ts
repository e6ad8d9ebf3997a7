import { Injectable } from '@nestjs/common';
import type { Channel, JsonObject } from '../message/canonical-message';

/** What the HTTP layer knows about the caller. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface Enrichment {
  /** The message's context with `ip` and `userAgent` filled in where the caller left them empty. */
  context: JsonObject;
  /** What the service derived, stored apart from what the caller sent. */
  enrichment: JsonObject;
  bot: boolean;
}

/**
 * Shared by every ingestion route. Defaults only fill empty fields: the caller's own context wins.
 */
@Injectable()
export class Enricher {
  enrich(context: JsonObject, client: ClientInfo, channel: Channel): Enrichment {
    const out: JsonObject = { ...context };
    if (out.ip === undefined || out.ip === null || out.ip === '') {
      if (client.ip) out.ip = client.ip;
    }
    if (out.userAgent === undefined || out.userAgent === null || out.userAgent === '') {
      if (client.userAgent) out.userAgent = client.userAgent;
    }
    // Koala's rule: a server call without a User-Agent header is a bot and is never forwarded.
    const bot = channel === 'koala' && !client.userAgent;
    return { context: out, enrichment: { channel }, bot };
  }
}
