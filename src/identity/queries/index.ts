import { GetProfileHandler } from './get-profile.handler';

export const QueryHandlers = [GetProfileHandler];
