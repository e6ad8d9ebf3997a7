import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';

export interface RejectedEventView {
  id: string;
  sourceId: string;
  messageId: string | null;
  index: number;
  payload: unknown;
  errors: string[];
  receivedAt: string;
}

export class ListRejectedEventsQuery extends Query<Page<RejectedEventView>> {
  constructor(
    readonly filter: { sourceId?: string; from?: Date; to?: Date },
    readonly limit: number,
    readonly afterId: string | null,
  ) {
    super();
  }
}
