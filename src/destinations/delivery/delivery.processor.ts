import { Process, Processor } from '@nestjs/bull';
import { CommandBus } from '@nestjs/cqrs';
import type { Job } from 'bull';
import { DeliverEventsCommand, DeliverySummary } from '../commands/deliver-events.command';
import { DELIVERY_CONCURRENCY, DELIVERY_QUEUE, DeliveryJobData } from './delivery.constants';

/** Runs delivery jobs in the worker role; the work is DeliverEventsCommand's. */
@Processor(DELIVERY_QUEUE)
export class DeliveryProcessor {
  constructor(private readonly commands: CommandBus) {}

  @Process({ concurrency: DELIVERY_CONCURRENCY })
  run(job: Job<DeliveryJobData>): Promise<DeliverySummary> {
    return this.commands.execute(new DeliverEventsCommand(job.data));
  }
}
