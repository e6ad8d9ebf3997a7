import { Query } from '@nestjs/cqrs';
import type { DestinationView } from '../destination-types';

/** Destinations (secrets masked), oldest first; one by id, or those of one source. */
export class GetDestinationsQuery extends Query<DestinationView[]> {
  constructor(readonly filter: { id?: string; sourceId?: string } = {}) {
    super();
  }
}
