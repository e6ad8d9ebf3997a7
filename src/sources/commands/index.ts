import { CreateSourceHandler } from './create-source.handler';

export const CommandHandlers = [CreateSourceHandler];
