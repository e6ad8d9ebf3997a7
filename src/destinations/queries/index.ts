import { GetDestinationsHandler } from './get-destinations.handler';
import { ListTracksForEventHandler } from './list-tracks-for-event.handler';
import { ListTracksHandler } from './list-tracks.handler';

export const QueryHandlers = [GetDestinationsHandler, ListTracksHandler, ListTracksForEventHandler];
