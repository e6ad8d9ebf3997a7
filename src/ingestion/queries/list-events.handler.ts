import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Page, toPage } from '../../common/pagination';
import { EventEntity } from '../entities/event.entity';
import { toEventView } from '../event-view';
import type { EventView } from '../message/canonical-message';
import { ListEventsQuery } from './list-events.query';

@QueryHandler(ListEventsQuery)
export class ListEventsHandler implements IQueryHandler<ListEventsQuery> {
  constructor(@InjectRepository(EventEntity) private readonly events: Repository<EventEntity>) {}

  async execute({ filter, limit, afterId }: ListEventsQuery): Promise<Page<EventView>> {
    const q = this.events.createQueryBuilder('e');
    if (filter.sourceId) q.andWhere('e.source_id = :sourceId', { sourceId: filter.sourceId });
    if (filter.type) q.andWhere('e.type = :type', { type: filter.type });
    if (filter.event) q.andWhere('e.event = :event', { event: filter.event });
    if (filter.userId) q.andWhere('e.user_id = :userId', { userId: filter.userId });
    if (filter.anonymousId)
      q.andWhere('e.anonymous_id = :anonymousId', { anonymousId: filter.anonymousId });
    if (filter.profileId) q.andWhere('e.profile_id = :profileId', { profileId: filter.profileId });
    if (filter.from) q.andWhere('e.timestamp >= :from', { from: filter.from });
    if (filter.to) q.andWhere('e.timestamp <= :to', { to: filter.to });
    if (afterId) q.andWhere('e.id < :afterId', { afterId });
    const rows = await q
      .orderBy('e.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return toPage(rows, limit, toEventView);
  }
}
