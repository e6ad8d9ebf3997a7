import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { TrackStatus, TrackView } from '../destination-types';

export interface TrackFilter {
  destinationId?: string;
  eventId?: string;
  status?: TrackStatus;
  /** Bounds on when the row was written, inclusive. */
  from?: Date;
  to?: Date;
}

/** Track rows, newest first, a page at a time. */
export class ListTracksQuery extends Query<Page<TrackView>> {
  constructor(
    readonly filter: TrackFilter,
    readonly limit: number,
    readonly afterId: string | null,
  ) {
    super();
  }
}
