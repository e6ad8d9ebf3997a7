import { OnProfilesMergedHandler } from './on-profiles-merged.handler';

export const EventHandlers = [OnProfilesMergedHandler];
