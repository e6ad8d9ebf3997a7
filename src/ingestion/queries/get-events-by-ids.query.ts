import { Query } from '@nestjs/cqrs';
import type { EventView } from '../message/canonical-message';

/** Stored events by id, in the order asked; unknown ids are left out. */
export class GetEventsByIdsQuery extends Query<EventView[]> {
  constructor(readonly ids: string[]) {
    super();
  }
}
