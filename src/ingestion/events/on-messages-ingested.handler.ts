import { Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { DispatchEventsCommand } from '../commands/dispatch-events.command';
import { MessagesIngested } from './messages-ingested.event';

/** After the commit, hand the new events to the durable queue (the in-memory bus is not durable). */
@EventsHandler(MessagesIngested)
export class OnMessagesIngestedHandler implements IEventHandler<MessagesIngested> {
  private readonly logger = new Logger('Dispatch');

  constructor(private readonly commands: CommandBus) {}

  async handle(event: MessagesIngested): Promise<void> {
    try {
      await this.commands.execute(new DispatchEventsCommand(event.eventIds));
    } catch (err) {
      // The rows are durable and undispatched: the sweeper will retry them.
      this.logger.warn({ err }, 'dispatch failed');
    }
  }
}
