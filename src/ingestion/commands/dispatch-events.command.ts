import { Command } from '@nestjs/cqrs';

/**
 * Hands stored events to the pipeline queue and marks them dispatched. Returns how many were
 * enqueued: 0 when Redis is unreachable, in which case the rows stay undispatched for the sweeper.
 */
export class DispatchEventsCommand extends Command<number> {
  constructor(readonly eventIds: string[]) {
    super();
  }
}
