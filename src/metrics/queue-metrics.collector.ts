import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { Gauge } from 'prom-client';
import { registry } from '../common/metrics';

/** Queues whose depth and lag are exported. */
export const OBSERVED_QUEUES = ['pipeline', 'delivery'];

/**
 * Queue depth and lag are read from Redis at scrape time, so every process reports the shared
 * truth rather than its own share.
 */
@Injectable()
export class QueueMetricsCollector implements OnModuleInit {
  constructor(
    @InjectQueue('pipeline') private readonly pipeline: Queue,
    @InjectQueue('delivery') private readonly delivery: Queue,
  ) {}

  onModuleInit(): void {
    const queues = [this.pipeline, this.delivery];
    const ready = () => queues.filter((q) => q.client.status === 'ready');
    // One registry per process; a second app in the same process (tests) takes the gauges over.
    for (const name of ['tracking_queue_jobs', 'tracking_queue_lag_seconds']) {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    }
    new Gauge({
      name: 'tracking_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const q of ready()) {
          const c = await q.getJobCounts();
          for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
            this.set({ queue: q.name, state }, c[state]);
          }
        }
      },
    });
    new Gauge({
      name: 'tracking_queue_lag_seconds',
      help: 'Age of the oldest job waiting in each queue',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const q of ready()) {
          const [oldest] = await q.getWaiting(0, 0);
          this.set(
            { queue: q.name },
            oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0,
          );
        }
      },
    });
  }
}
