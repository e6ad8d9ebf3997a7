import { InjectQueue } from '@nestjs/bull';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Queue } from 'bull';
import { adapterFor } from '../adapters';
import { chunk, destinationAccepts } from '../adapters/common';
import { DestinationRegistry } from '../destination-registry';
import {
  DELIVERY_QUEUE,
  DeliveryJobData,
  deliveryJobId,
  deliveryJobOptions,
  JOB_EVENTS,
} from '../delivery/delivery.constants';
import { FanOutDeliveriesCommand } from './fan-out-deliveries.command';

@CommandHandler(FanOutDeliveriesCommand)
export class FanOutDeliveriesHandler implements ICommandHandler<FanOutDeliveriesCommand> {
  constructor(
    private readonly registry: DestinationRegistry,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
  ) {}

  async execute({ events }: FanOutDeliveriesCommand): Promise<void> {
    const jobs: Array<{ data: DeliveryJobData; opts: ReturnType<typeof deliveryJobOptions> }> = [];
    const bySource = new Map<string, typeof events>();
    for (const e of events) {
      if (e.bot) continue;
      const list = bySource.get(e.sourceId) ?? [];
      list.push(e);
      bySource.set(e.sourceId, list);
    }
    for (const [sourceId, sourceEvents] of bySource) {
      for (const dest of await this.registry.enabledFor(sourceId)) {
        const adapter = adapterFor(dest.type);
        const matched = sourceEvents.filter((e) => destinationAccepts(adapter, dest, e));
        for (const part of chunk(matched, JOB_EVENTS)) {
          const eventIds = part.map((e) => e.id);
          const profileIds: Record<string, string> = {};
          for (const e of part) if (e.profileId) profileIds[e.id] = e.profileId;
          const jobId = deliveryJobId(dest.id, eventIds);
          jobs.push({
            data: {
              destinationId: dest.id,
              eventIds,
              attempt: 1,
              runId: null,
              profileIds,
              rootId: jobId,
            },
            opts: deliveryJobOptions(jobId),
          });
        }
      }
    }
    // One round trip for all of them; a failure fails the pipeline job, which Bull retries.
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }
}
