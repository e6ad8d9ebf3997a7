import { Inject, Injectable, Logger, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/configuration';

const COMMAND_TIMEOUT_MS = 500;
const READY_WAIT_MS = 2000;
const LOG_EVERY_MS = 30_000;

/**
 * The Redis connection of the public routes (rate limits, the cookieless salt). Every key it writes is
 * under the configured prefix. It never queues commands while disconnected and gives up on a slow
 * command quickly: a visitor's request must not wait for Redis, it fails open instead.
 */
@Injectable()
export class PublicRedis implements OnModuleInit, OnModuleDestroy {
  readonly client: Redis;
  private readonly logger = new Logger('PublicRedis');
  private lastLog = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = new Redis(config.redisUrl, {
      keyPrefix: `${config.redisPrefix}:`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      lazyConnect: true,
    });
    // Without a listener ioredis prints every reconnect failure; one line per interval is enough.
    this.client.on('error', (err: Error) => this.warn(err, 'Redis connection error'));
  }

  /** Connect before the first request, but never hold up start-up: the routes fail open meanwhile. */
  async onModuleInit(): Promise<void> {
    const ready = this.client
      .connect()
      .catch((err: unknown) => this.warn(err, 'Redis unreachable'));
    await Promise.race([ready, new Promise((r) => setTimeout(r, READY_WAIT_MS).unref())]);
  }

  onModuleDestroy(): void {
    this.client.disconnect(false);
  }

  /** Logs at most once per interval, so an outage does not flood the log at request rate. */
  warn(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.logger.warn({ err }, message);
  }
}

@Module({ providers: [PublicRedis], exports: [PublicRedis] })
export class PublicRedisModule {}
