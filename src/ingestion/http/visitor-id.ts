import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config/configuration';
import type { SourceView } from '../../sources/source-view';
import { clientOf } from './request-body';
import { PublicRedis } from './public-redis';

/** The first-party visitor cookie, and the page-url parameter that carries it across domains. */
export const VISITOR_COOKIE = 'tk_aid';
export const VISITOR_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/** Where a browser hit's anonymousId came from; stored as `enrichment.anonymousIdSource`. */
export type AnonymousIdSource = 'cookie' | 'url' | 'new' | 'cookieless-hash';

export interface VisitorId {
  anonymousId: string;
  source: AnonymousIdSource;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SALT_TTL_S = 2 * 24 * 3600;
/** After a Redis failure, how long a process keeps its own salt before asking Redis again. */
const LOCAL_SALT_RETRY_MS = 30_000;

/** `?tk_aid=` of the page url, if it holds a UUID (other values are ignored, never trusted). */
export function visitorIdFromUrl(url: string): string | null {
  if (!url.includes(`${VISITOR_COOKIE}=`)) return null;
  try {
    const v = new URL(url, 'http://relative.invalid').searchParams.get(VISITOR_COOKIE);
    return v && UUID.test(v) ? v.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * The anonymous id of a browser hit. With cookies: a `?tk_aid=` in the page url first (a link from
 * another of the customer's domains says who this is, as Segment's `ajs_aid` does), then the
 * `tk_aid` cookie, else a new UUID v4; the cookie is (re)set on every answer so it lives a year
 * from the last visit. Cookieless sources: no cookie, no url id; a hash of (daily salt, source, IP,
 * user agent), so a visitor is recognised within a day and never across days.
 */
@Injectable()
export class VisitorIds {
  private readonly logger = new Logger('VisitorIds');
  private salt: { day: string; value: string; retryAt: number | null } | null = null;

  constructor(
    private readonly redis: PublicRedis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(
    req: Request,
    res: Response,
    source: SourceView,
    pageUrl: string,
  ): Promise<VisitorId> {
    if (source.cookieless) {
      const { ip, userAgent } = clientOf(req);
      const salt = await this.daySalt(new Date());
      const anonymousId = createHash('sha256')
        .update(`${salt}\n${source.id}\n${ip ?? ''}\n${userAgent ?? ''}`)
        .digest('hex')
        .slice(0, 32);
      return { anonymousId, source: 'cookieless-hash' };
    }
    const fromUrl = visitorIdFromUrl(pageUrl);
    const cookie = (req.cookies as Record<string, unknown> | undefined)?.[VISITOR_COOKIE];
    const fromCookie =
      typeof cookie === 'string' && UUID.test(cookie) ? cookie.toLowerCase() : null;
    const id: VisitorId = fromUrl
      ? { anonymousId: fromUrl, source: 'url' }
      : fromCookie
        ? { anonymousId: fromCookie, source: 'cookie' }
        : { anonymousId: randomUUID(), source: 'new' };
    res.cookie(VISITOR_COOKIE, id.anonymousId, {
      maxAge: VISITOR_COOKIE_MAX_AGE_MS,
      sameSite: 'lax',
      path: '/',
      // req.secure follows X-Forwarded-Proto from trusted proxies (TRUST_PROXY).
      secure: req.secure,
      domain: source.cookieDomain ?? undefined,
      // Readable by the site's own script on purpose: it decorates cross-domain links with ?tk_aid=.
      // It is an anonymous id, not a credential.
      httpOnly: false,
    });
    return id;
  }

  /**
   * Today's salt (UTC day), shared by every API process through Redis (the first one to ask sets
   * it) and kept two days, so nobody can recompute a hash later from IP and user agent. With Redis
   * down, a process uses a random salt of its own and says so in the log: ids then differ between
   * processes until Redis is back, but the endpoint keeps working.
   */
  private async daySalt(now: Date): Promise<string> {
    const day = now.toISOString().slice(0, 10);
    const cached = this.salt;
    if (
      cached &&
      cached.day === day &&
      (cached.retryAt === null || cached.retryAt > now.getTime())
    ) {
      return cached.value;
    }
    const key = `cookieless-salt:${day}`;
    try {
      await this.redis.client.set(key, randomBytes(32).toString('hex'), 'EX', SALT_TTL_S, 'NX');
      const value = await this.redis.client.get(key);
      if (!value) throw new Error(`salt ${key} vanished right after SET NX`);
      this.salt = { day, value, retryAt: null };
      return value;
    } catch (err) {
      const value = cached && cached.day === day ? cached.value : randomBytes(32).toString('hex');
      this.salt = { day, value, retryAt: now.getTime() + LOCAL_SALT_RETRY_MS };
      this.logger.warn(
        { err, prefix: this.config.redisPrefix },
        'cookieless salt not available from Redis: using a process-local one',
      );
      return value;
    }
  }
}
