import { Command } from '@nestjs/cqrs';
import type { DeliveryJobData } from '../delivery/delivery.constants';

export interface DeliverySummary {
  succeeded: number;
  failed: number;
  dead: number;
  skipped: number;
  /** Events this destination already had a final Track row for (a job run twice). */
  alreadyDone: number;
}

/** Sends one delivery job's events to its destination and records a Track row per event and request. */
export class DeliverEventsCommand extends Command<DeliverySummary> {
  constructor(readonly job: DeliveryJobData) {
    super();
  }
}
