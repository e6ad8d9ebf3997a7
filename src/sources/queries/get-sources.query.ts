import { Query } from '@nestjs/cqrs';
import type { SourceView } from '../source-view';

export class GetSourcesQuery extends Query<SourceView[]> {
  constructor(readonly id?: string) {
    super();
  }
}
