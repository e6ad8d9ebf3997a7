import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Page, toPage } from '../../common/pagination';
import { RejectedEventEntity } from '../entities/rejected-event.entity';
import { ListRejectedEventsQuery, RejectedEventView } from './list-rejected-events.query';

@QueryHandler(ListRejectedEventsQuery)
export class ListRejectedEventsHandler implements IQueryHandler<ListRejectedEventsQuery> {
  constructor(
    @InjectRepository(RejectedEventEntity)
    private readonly rejected: Repository<RejectedEventEntity>,
  ) {}

  async execute({
    filter,
    limit,
    afterId,
  }: ListRejectedEventsQuery): Promise<Page<RejectedEventView>> {
    const q = this.rejected.createQueryBuilder('r');
    if (filter.sourceId) q.andWhere('r.source_id = :sourceId', { sourceId: filter.sourceId });
    if (filter.from) q.andWhere('r.received_at >= :from', { from: filter.from });
    if (filter.to) q.andWhere('r.received_at <= :to', { to: filter.to });
    if (afterId) q.andWhere('r.id < :afterId', { afterId });
    const rows = await q
      .orderBy('r.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return toPage(rows, limit, (r) => ({
      id: r.id,
      sourceId: r.sourceId,
      messageId: r.messageId,
      index: r.batchIndex,
      // TypeORM has already parsed the JSON columns of an entity.
      payload: r.payload,
      errors: r.errors,
      receivedAt: r.receivedAt.toISOString(),
    }));
  }
}
