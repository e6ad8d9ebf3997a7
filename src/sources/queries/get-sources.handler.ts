import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Source } from '../entities/source.entity';
import { SourceView, toSourceView } from '../source-view';
import { GetSourcesQuery } from './get-sources.query';

@QueryHandler(GetSourcesQuery)
export class GetSourcesHandler implements IQueryHandler<GetSourcesQuery> {
  constructor(@InjectRepository(Source) private readonly sources: Repository<Source>) {}

  async execute({ id }: GetSourcesQuery): Promise<SourceView[]> {
    const rows = await this.sources.find({
      where: id ? { id } : {},
      order: { createdAt: 'ASC' },
    });
    return rows.map(toSourceView);
  }
}
