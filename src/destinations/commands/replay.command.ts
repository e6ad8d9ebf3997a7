import { Command } from '@nestjs/cqrs';
import type { TrackStatus } from '../destination-types';

/**
 * What to send again: Track rows by id; events by id (to one destination, or to every destination of
 * their source); a destination's events whose latest row has a status; or every event of a time range
 * to one destination (the backfill of a destination added later). `from` / `to` bound the event time.
 */
export interface ReplaySelector {
  trackIds?: string[];
  eventIds?: string[];
  destinationId?: string;
  status?: TrackStatus;
  from?: Date;
  to?: Date;
}

export interface ReplayResult {
  queued: number;
  /** Scopes the new Track rows of this replay. */
  replayId: string;
  /** Queued events older than the 48 hours within which Meta and TikTok dedupe browser and server. */
  olderThan48h: number;
  /** Queued events older than their platform accepts: they will be recorded as skipped. */
  outsideWindow: number;
  note?: string;
}

export class ReplayCommand extends Command<ReplayResult> {
  constructor(readonly selector: ReplaySelector) {
    super();
  }
}
