import { InjectQueue } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PIPELINE_BATCH, PIPELINE_QUEUE, PipelineJobData } from '../pipeline/pipeline.constants';
import { DispatchEventsCommand } from './dispatch-events.command';

const ENQUEUE_TIMEOUT_MS = 2000;

@CommandHandler(DispatchEventsCommand)
export class DispatchEventsHandler implements ICommandHandler<DispatchEventsCommand> {
  private readonly logger = new Logger('Dispatch');

  constructor(
    @InjectQueue(PIPELINE_QUEUE) private readonly queue: Queue<PipelineJobData>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async execute({ eventIds }: DispatchEventsCommand): Promise<number> {
    // With Redis down, Bull would park the add in ioredis' offline queue; answer at once instead and
    // leave the rows to the sweeper.
    if (this.queue.client.status !== 'ready') {
      this.logger.warn({ events: eventIds.length }, 'Redis not ready: events left for the sweeper');
      return 0;
    }
    let dispatched = 0;
    for (let i = 0; i < eventIds.length; i += PIPELINE_BATCH) {
      const ids = eventIds.slice(i, i + PIPELINE_BATCH);
      // The same set of events always gets the same job id, so a sweeper racing the API (or another
      // sweeper) adds nothing twice while the job exists.
      const jobId = createHash('sha1').update(ids.join(',')).digest('hex');
      try {
        await withTimeout(
          this.queue.add(
            { eventIds: ids },
            {
              jobId,
              attempts: 20,
              backoff: { type: 'exponential', delay: 1000 },
              removeOnComplete: true,
              removeOnFail: 1000,
            },
          ),
          ENQUEUE_TIMEOUT_MS,
        );
      } catch (err) {
        this.logger.warn(
          { err, events: ids.length },
          'enqueue failed: events left for the sweeper',
        );
        return dispatched;
      }
      await this.db.query(
        `UPDATE events SET dispatched_at = ? WHERE id IN (${ids.map(() => '?').join(',')})`,
        [new Date(), ...ids],
      );
      dispatched += ids.length;
    }
    return dispatched;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
