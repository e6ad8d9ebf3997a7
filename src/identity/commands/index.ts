import { ResolveIdentitiesHandler } from './resolve-identities.handler';

export const CommandHandlers = [ResolveIdentitiesHandler];
