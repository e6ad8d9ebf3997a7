import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { EventEntity } from '../entities/event.entity';
import { toEventView } from '../event-view';
import type { EventView } from '../message/canonical-message';
import { GetEventsByIdsQuery } from './get-events-by-ids.query';

@QueryHandler(GetEventsByIdsQuery)
export class GetEventsByIdsHandler implements IQueryHandler<GetEventsByIdsQuery> {
  constructor(@InjectRepository(EventEntity) private readonly events: Repository<EventEntity>) {}

  async execute({ ids }: GetEventsByIdsQuery): Promise<EventView[]> {
    if (ids.length === 0) return [];
    const rows = await this.events.findBy({ id: In(ids) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toEventView(row)] : [];
    });
  }
}
