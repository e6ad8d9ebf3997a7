import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { attributionFromUrl } from '../../common/campaign';
import { APP_CONFIG, AppConfig, runsHttp } from '../../config/configuration';
import type { Channel, Json, JsonObject } from '../message/canonical-message';
import { GeoLocator } from './geo';
import { UserAgentParser } from './user-agent';

/** What the HTTP layer knows about the caller. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface Enrichment {
  /**
   * The message's context with `ip`, `userAgent`, `campaign` and `clickIds` filled in where the
   * caller left them empty.
   */
  context: JsonObject;
  /** What the service derived (`channel`, `userAgent`, `geo`), stored apart from what the caller sent. */
  enrichment: JsonObject;
  bot: boolean;
}

const isEmpty = (v: Json | undefined): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Shared by every ingestion route and channel. Defaults only fill empty fields: the caller's own
 * context wins. It runs once per message on the ingest hot path, so the expensive parts are cached
 * (user agents) or loaded once (the geo database).
 */
@Injectable()
export class Enricher implements OnApplicationBootstrap {
  private readonly logger = new Logger('Enricher');
  private readonly userAgents = new UserAgentParser();
  private readonly geo = new GeoLocator();

  constructor(@Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig) {}

  /** Load the geo database before the first request rather than during it (API processes only). */
  onApplicationBootstrap(): void {
    if (this.config && (!runsHttp(this.config.role) || !this.config.geoip)) return;
    const before = process.memoryUsage().rss;
    const started = Date.now();
    this.geo.load();
    this.logger.log(
      {
        ms: Date.now() - started,
        rssMb: Math.round((process.memoryUsage().rss - before) / 1048576),
      },
      'geo database loaded',
    );
  }

  enrich(context: JsonObject, client: ClientInfo, channel: Channel): Enrichment {
    const out: JsonObject = { ...context };
    // Segment server libraries call on behalf of a user: their own User-Agent header says nothing
    // about the visitor (and looks like a bot), so only what the caller put in the context counts.
    const callerUserAgent = typeof context.userAgent === 'string' ? context.userAgent : null;
    if (isEmpty(out.ip) && client.ip) out.ip = client.ip;
    if (isEmpty(out.userAgent) && client.userAgent) out.userAgent = client.userAgent;

    const enrichment: JsonObject = { channel };
    const userAgent = typeof out.userAgent === 'string' && out.userAgent ? out.userAgent : null;
    const parsed = userAgent ? this.userAgents.parse(userAgent) : null;
    if (parsed) enrichment.userAgent = parsed.details;

    if (this.config?.geoip !== false && typeof out.ip === 'string' && out.ip) {
      const geo = this.geo.lookup(out.ip);
      if (geo) enrichment.geo = { ...geo };
    }

    this.fillAttribution(out);

    let bot: boolean;
    if (channel === 'segment') {
      bot = callerUserAgent ? this.userAgents.parse(callerUserAgent).bot : false;
    } else {
      // Browser and Koala calls carry the visitor's own User-Agent; one without is a script.
      bot = parsed ? parsed.bot : true;
    }
    return { context: out, enrichment, bot };
  }

  /** utm_* and click ids of the page url, into `context.campaign` / `context.clickIds` if empty. */
  private fillAttribution(out: JsonObject): void {
    const needCampaign = isEmpty(out.campaign);
    const needClickIds = isEmpty(out.clickIds);
    if (!needCampaign && !needClickIds) return;
    const page = out.page;
    const url = isObject(page) && typeof page.url === 'string' ? page.url : null;
    // Most page urls have no query string; skip the URL parser for them.
    if (!url || !url.includes('?')) return;
    const { campaign, clickIds } = attributionFromUrl(url);
    if (needCampaign && Object.keys(campaign).length > 0) out.campaign = campaign;
    if (needClickIds && Object.keys(clickIds).length > 0) out.clickIds = clickIds as JsonObject;
  }
}
