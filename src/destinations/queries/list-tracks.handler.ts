import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Page, toPage } from '../../common/pagination';
import type { TrackView } from '../destination-types';
import { TrackEntity } from '../entities/track.entity';
import { toTrackView } from '../track-view';
import { ListTracksQuery } from './list-tracks.query';

@QueryHandler(ListTracksQuery)
export class ListTracksHandler implements IQueryHandler<ListTracksQuery> {
  constructor(@InjectRepository(TrackEntity) private readonly tracks: Repository<TrackEntity>) {}

  async execute({ filter, limit, afterId }: ListTracksQuery): Promise<Page<TrackView>> {
    const q = this.tracks.createQueryBuilder('t');
    if (filter.destinationId) q.andWhere('t.destination_id = :d', { d: filter.destinationId });
    if (filter.eventId) q.andWhere('t.event_id = :e', { e: filter.eventId });
    if (filter.status) q.andWhere('t.status = :s', { s: filter.status });
    if (filter.from) q.andWhere('t.created_at >= :from', { from: filter.from });
    if (filter.to) q.andWhere('t.created_at <= :to', { to: filter.to });
    if (afterId) q.andWhere('t.id < :afterId', { afterId });
    const rows = await q
      .orderBy('t.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return toPage(rows, limit, toTrackView);
  }
}
