import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../../config/configuration';
import { DispatchEventsCommand } from '../commands/dispatch-events.command';

/** Rows younger than this are still on their normal way to the queue. */
const GRACE_MS = 5000;
const SWEEP_LIMIT = 5000;

/**
 * Invariant 1: an acknowledged event reaches the pipeline even if Redis was down when it was stored
 * or the API process died between the commit and the enqueue.
 */
@Injectable()
export class DispatchSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Sweeper');
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.sweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; returns how many events it enqueued. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const rows: Array<{ id: string }> = await this.db.query(
        `SELECT id FROM events WHERE dispatched_at IS NULL AND received_at < ? ORDER BY id LIMIT ${SWEEP_LIMIT}`,
        [new Date(Date.now() - GRACE_MS)],
      );
      if (rows.length === 0) return 0;
      const n = await this.commands.execute(new DispatchEventsCommand(rows.map((r) => r.id)));
      if (n > 0) this.logger.log({ events: n }, 're-enqueued undispatched events');
      return n;
    } catch (err) {
      this.logger.warn({ err }, 'sweep failed');
      return 0;
    } finally {
      this.running = false;
    }
  }
}
