import { PipelineStepCommand } from '../../ingestion/pipeline/pipeline-step';

/**
 * The last pipeline step: matches each event against its source's enabled destinations and enqueues
 * delivery jobs with deterministic ids (a pipeline job that runs twice enqueues nothing twice).
 */
export class FanOutDeliveriesCommand extends PipelineStepCommand {}
