import { Command } from '@nestjs/cqrs';
import type { EventView } from '../message/canonical-message';

/**
 * One stage of the pipeline that follows ingestion (identity, accounts, destinations). Each stage is a
 * command its module handles. A stage may set `profileId` / `accountId` on the views it is given so
 * that later stages see them; it must be idempotent, because a job can run more than once.
 */
export abstract class PipelineStepCommand extends Command<void> {
  constructor(readonly events: EventView[]) {
    super();
  }
}

export type PipelineStep = new (events: EventView[]) => PipelineStepCommand;
