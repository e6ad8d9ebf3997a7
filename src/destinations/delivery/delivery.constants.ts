import type { JobOptions } from 'bull';
import { createHash } from 'node:crypto';

export const DELIVERY_QUEUE = 'delivery';

/** Events per delivery job: a pipeline batch; each adapter splits it into the platform's requests. */
export const JOB_EVENTS = 500;
/** Delivery jobs one worker process runs at once. */
export const DELIVERY_CONCURRENCY = 16;
/** Requests in flight per job. */
export const REQUEST_CONCURRENCY = 32;

export interface DeliveryJobData {
  destinationId: string;
  eventIds: string[];
  /** 1-based attempt number of the requests this job sends. */
  attempt: number;
  /** Null for the first delivery; the replay's id for a replay (scopes the "already delivered" check). */
  runId: string | null;
  /** Event id → the Track row this delivery replays. */
  replayOf?: Record<string, string>;
  /** Event id → profile id as the pipeline resolved it (the row may not carry it yet). */
  profileIds?: Record<string, string>;
  /** The id of the first job of this delivery, so retry job ids stay deterministic too. */
  rootId: string;
}

export const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** Same events and destination, same job id: Bull adds nothing while a job with that id exists. */
export function deliveryJobId(destinationId: string, eventIds: string[]): string {
  return eventIds.length === 1
    ? `${eventIds[0]}.${destinationId}`
    : `${destinationId}.${sha1(eventIds.join(','))}`;
}

export function deliveryJobOptions(jobId: string, delayMs = 0): JobOptions {
  return {
    jobId,
    ...(delayMs > 0 ? { delay: delayMs } : {}),
    // HTTP failures are retried by new jobs with their own delay; these attempts cover the worker's own
    // trouble (MySQL or Redis away), after which the job stays in the failed set for inspection.
    attempts: 10,
    backoff: { type: 'exponential', delay: 2000 },
    // Completed jobs stay a while so a second enqueue of the same id is still a no-op; the Track rows
    // guard after that.
    removeOnComplete: { age: 3600, count: 5000 },
    removeOnFail: 5000,
  };
}

/**
 * Lock and stall settings for the delivery queue: a worker killed mid-job loses its lock within
 * 15 s and the job runs again elsewhere; jobs may stall several times before Bull gives up on them.
 */
export const DELIVERY_QUEUE_SETTINGS = {
  lockDuration: 15000,
  stalledInterval: 5000,
  maxStalledCount: 10,
};
