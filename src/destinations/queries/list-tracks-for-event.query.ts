import { Query } from '@nestjs/cqrs';
import type { TrackView } from '../destination-types';

/** Every Track row of one event, oldest first: what `GET /admin/events/{id}` shows as `tracks`. */
export class ListTracksForEventQuery extends Query<TrackView[]> {
  constructor(readonly eventId: string) {
    super();
  }
}
