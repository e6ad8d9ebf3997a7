import { Inject, Injectable } from '@nestjs/common';
import { sha256Hex } from '../../common/keys';
import { APP_CONFIG, AppConfig } from '../../config/configuration';
import type { Outcome } from '../adapters/adapter';
import { classifyHttp, obj, parseJson, str } from '../adapters/common';
import { GOOGLE_TOKEN_ENDPOINT } from '../adapters/google-ads.adapter';
import type { DestinationConfig } from '../destination-types';
import { sendRequest } from './http-client';

/** A token is renewed this long before Google says it expires. */
const EARLY_MS = 60_000;

/** The token exchange failed: `outcome` says whether retrying can help (invalid_grant cannot). */
export class TokenError extends Error {
  constructor(readonly outcome: Exclude<Outcome, { status: 'succeeded' }>) {
    super(outcome.error);
  }
}

/**
 * OAuth access tokens from refresh tokens (Google Ads), cached until shortly before they expire and
 * shared by concurrent jobs. The token endpoint is a setting so tests can fake it.
 */
@Injectable()
export class GoogleTokenService {
  private readonly cache = new Map<string, { token: string; expires: number }>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private keyOf(dest: DestinationConfig): string {
    const s = dest.settings;
    return sha256Hex(`${str(s.tokenEndpoint) ?? ''}|${str(s.clientId)}|${str(s.refreshToken)}`);
  }

  invalidate(dest: DestinationConfig): void {
    this.cache.delete(this.keyOf(dest));
  }

  async token(dest: DestinationConfig): Promise<string> {
    const key = this.keyOf(dest);
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.token;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.exchange(dest, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async exchange(dest: DestinationConfig, key: string): Promise<string> {
    const s = dest.settings;
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: str(s.clientId) ?? '',
      client_secret: str(s.clientSecret) ?? '',
      refresh_token: str(s.refreshToken) ?? '',
    }).toString();
    let res;
    try {
      res = await sendRequest(
        {
          method: 'POST',
          url: str(s.tokenEndpoint) ?? GOOGLE_TOKEN_ENDPOINT,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        },
        this.config.deliveryTimeoutMs,
      );
    } catch (err) {
      throw new TokenError({
        status: 'retry',
        error: `OAuth token exchange: ${(err as Error).message}`,
      });
    }
    const json = obj(parseJson(res.body));
    const token = str(json.access_token);
    if (res.status >= 200 && res.status < 300 && token) {
      const ttl = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3600_000;
      this.cache.set(key, { token, expires: Date.now() + Math.max(0, ttl - EARLY_MS) });
      return token;
    }
    const detail = `OAuth token exchange: ${str(json.error) ?? `HTTP ${res.status}`}${
      str(json.error_description) ? ` (${str(json.error_description)})` : ''
    }`;
    // A refused grant or client (400/401) will not fix itself: the settings must change.
    const http = classifyHttp(res, detail);
    if (http.status === 'retry') throw new TokenError(http);
    throw new TokenError({ status: 'dead', error: detail });
  }
}
