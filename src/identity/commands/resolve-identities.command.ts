import { PipelineStepCommand } from '../../ingestion/pipeline/pipeline-step';

/**
 * First pipeline step: resolves each event of the batch to a profile, stores it as
 * `events.profile_id` and sets `profileId` on the views so that later steps see it.
 */
export class ResolveIdentitiesCommand extends PipelineStepCommand {}
