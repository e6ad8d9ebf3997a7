import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import type { PublicRedis } from './public-redis';
import { FailOpenRedisStorage, PUBLIC_RATE_LIMITS, rateLimitKey } from './public-rate-limit.guard';

describe('public rate limits', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  it('are 60 per 10 s and 5,000 per hour', () => {
    expect(PUBLIC_RATE_LIMITS).toEqual([
      { name: 'burst', ttl: 10_000, limit: 60 },
      { name: 'hour', ttl: 3_600_000, limit: 5_000 },
    ]);
    expect(rateLimitKey('1.2.3.4', 'burst')).toBe('{rl:1.2.3.4:burst}:hits');
  });

  it('let a request through when the store fails (Redis down or slow)', async () => {
    // A real client (the store only adopts ioredis instances), never connected, whose calls fail.
    const client = new Redis({ lazyConnect: true });
    const call = jest.spyOn(client, 'call').mockRejectedValue(new Error('Command timed out'));
    const storage = new FailOpenRedisStorage({ client } as unknown as PublicRedis);
    await expect(storage.increment('rl:1.2.3.4', 10_000, 60, 10_000, 'burst')).resolves.toEqual({
      totalHits: 0,
      timeToExpire: 0,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect(call).toHaveBeenCalledWith(
      'eval',
      expect.any(String),
      2,
      '{rl:1.2.3.4:burst}:hits',
      '{rl:1.2.3.4:burst}:blocked',
      'burst',
      10_000,
      60,
      10_000,
    );
    client.disconnect();
  });
});
