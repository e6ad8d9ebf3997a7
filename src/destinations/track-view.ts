import { parseJsonColumn } from '../ingestion/event-view';
import type { TrackView } from './destination-types';
import type { TrackEntity } from './entities/track.entity';

export function toTrackView(t: TrackEntity): TrackView {
  return {
    id: t.id,
    eventId: t.eventId,
    destinationId: t.destinationId,
    attempt: t.attempt,
    status: t.status,
    request: parseJsonColumn<unknown>(t.request, null),
    response: parseJsonColumn<unknown>(t.response, null),
    error: t.error,
    replayOf: t.replayOf,
    createdAt: t.createdAt.toISOString(),
    sentAt: t.sentAt ? t.sentAt.toISOString() : null,
  };
}
