import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { TrackView } from '../destination-types';
import { TrackEntity } from '../entities/track.entity';
import { toTrackView } from '../track-view';
import { ListTracksForEventQuery } from './list-tracks-for-event.query';

const MAX_ROWS = 1000;

@QueryHandler(ListTracksForEventQuery)
export class ListTracksForEventHandler implements IQueryHandler<ListTracksForEventQuery> {
  constructor(@InjectRepository(TrackEntity) private readonly tracks: Repository<TrackEntity>) {}

  async execute({ eventId }: ListTracksForEventQuery): Promise<TrackView[]> {
    const rows = await this.tracks.find({
      where: { eventId },
      order: { id: 'ASC' },
      take: MAX_ROWS,
    });
    return rows.map(toTrackView);
  }
}
