import { Process, Processor } from '@nestjs/bull';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Job } from 'bull';
import { PIPELINE_STEPS } from '../../app.pipeline';
import { GetEventsByIdsQuery } from '../queries/get-events-by-ids.query';
import { PIPELINE_QUEUE, PipelineJobData } from './pipeline.constants';

/** Runs the pipeline stages for a batch of stored events. Bots stop here: no profile, no delivery. */
@Processor(PIPELINE_QUEUE)
export class PipelineProcessor {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Process({ concurrency: 4 })
  async run(job: Job<PipelineJobData>): Promise<{ events: number }> {
    const events = (await this.queries.execute(new GetEventsByIdsQuery(job.data.eventIds))).filter(
      (e) => !e.bot,
    );
    if (events.length === 0) return { events: 0 };
    for (const Step of PIPELINE_STEPS) {
      await this.commands.execute(new Step(events));
    }
    return { events: events.length };
  }
}
