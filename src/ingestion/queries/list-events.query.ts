import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { EventView, MessageType } from '../message/canonical-message';

export interface EventFilter {
  sourceId?: string;
  type?: MessageType;
  event?: string;
  userId?: string;
  anonymousId?: string;
  profileId?: string;
  /** Event time (skew-corrected `timestamp`) bounds, inclusive. */
  from?: Date;
  to?: Date;
}

/** Stored events, newest first, a page at a time. */
export class ListEventsQuery extends Query<Page<EventView>> {
  constructor(
    readonly filter: EventFilter,
    readonly limit: number,
    readonly afterId: string | null,
  ) {
    super();
  }
}
