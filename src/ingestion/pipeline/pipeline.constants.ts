export const PIPELINE_QUEUE = 'pipeline';

export interface PipelineJobData {
  eventIds: string[];
}

/** Events per pipeline job: large enough to batch database work, small enough to retry cheaply. */
export const PIPELINE_BATCH = 500;
