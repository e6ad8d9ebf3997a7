import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModule,
  ThrottlerOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { HttpErrorWithHeaders } from '../../common/errors';
import { PublicRedis, PublicRedisModule } from './public-redis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Per client IP, over all public (public-key) routes together, as Zenovay documents them. */
export const PUBLIC_RATE_LIMITS: ThrottlerOptions[] = [
  { name: 'burst', ttl: 10_000, limit: 60 },
  { name: 'hour', ttl: 3_600_000, limit: 5_000 },
];

/** Redis key of one limit's counter for one IP, below the configured prefix (for operators, tests). */
export const rateLimitKey = (ip: string, name: string): string => `{rl:${ip}:${name}}:hits`;

/**
 * The Redis store of @nest-lab/throttler-storage-redis (one Lua script per hit, so the counters hold
 * across API processes), made to fail open: with Redis down or slow, a visitor's hit is let through
 * and the outage logged, rather than the tracking endpoint going down with the cache.
 */
export class FailOpenRedisStorage implements ThrottlerStorage {
  private readonly inner: ThrottlerStorageRedisService;
  private readonly logger = new Logger('RateLimit');
  private lastLog = 0;

  constructor(redis: PublicRedis) {
    this.inner = new ThrottlerStorageRedisService(redis.client);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastLog > 30_000) {
        this.lastLog = now;
        this.logger.warn({ err }, 'rate limit store unavailable: letting requests through');
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}

/** Registers the limits and their Redis store (global, so the guard works in any module). */
export const PublicRateLimitModule = ThrottlerModule.forRootAsync({
  imports: [PublicRedisModule],
  inject: [PublicRedis],
  useFactory: (redis: PublicRedis) => ({
    throttlers: PUBLIC_RATE_LIMITS,
    storage: new FailOpenRedisStorage(redis),
    // Retry-After is set on the 429 itself; per-limit X-RateLimit-* headers would only add noise.
    setHeaders: false,
  }),
});

/**
 * Rate limit of the public routes (`/e/...`, `/web/projects/...`): `@UseGuards(PublicRateLimitGuard)`.
 * 429 `{statusCode, error, message}` with `Retry-After` in seconds. Write-key routes do not use it:
 * servers send for many users from few addresses.
 */
@Injectable()
export class PublicRateLimitGuard extends ThrottlerGuard {
  // Tracker: the default, `normalizeIp(req.ip)`: the client IP behind TRUST_PROXY, IPv4-mapped
  // addresses as IPv4, IPv6 as its /64 (one customer's network, so rotating addresses does not help).

  /** One budget per IP over all public routes, not one per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return `rl:${tracker}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    throw new HttpErrorWithHeaders(
      429,
      `rate limit exceeded: at most ${detail.limit} requests per ${formatWindow(detail.ttl)} from one IP address; retry in ${retryAfter} s`,
      { 'Retry-After': String(retryAfter) },
    );
  }
}

function formatWindow(ttlMs: number): string {
  return ttlMs >= 3_600_000 && ttlMs % 3_600_000 === 0
    ? `${ttlMs / 3_600_000} h`
    : `${Math.round(ttlMs / 1000)} s`;
}
