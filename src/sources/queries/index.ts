import { AuthenticateSourceHandler } from './authenticate-source.handler';
import { GetSourcesHandler } from './get-sources.handler';

export const QueryHandlers = [AuthenticateSourceHandler, GetSourcesHandler];
