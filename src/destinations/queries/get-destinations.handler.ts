import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, Repository } from 'typeorm';
import { toDestinationView } from '../destination-registry';
import type { DestinationView } from '../destination-types';
import { DestinationEntity } from '../entities/destination.entity';
import { GetDestinationsQuery } from './get-destinations.query';

@QueryHandler(GetDestinationsQuery)
export class GetDestinationsHandler implements IQueryHandler<GetDestinationsQuery> {
  constructor(
    @InjectRepository(DestinationEntity) private readonly repo: Repository<DestinationEntity>,
  ) {}

  async execute({ filter }: GetDestinationsQuery): Promise<DestinationView[]> {
    const where: FindOptionsWhere<DestinationEntity> = {};
    if (filter.id) where.id = filter.id;
    if (filter.sourceId) where.sourceId = filter.sourceId;
    const rows = await this.repo.find({ where, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toDestinationView);
  }
}
