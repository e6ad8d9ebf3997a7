import { Command } from '@nestjs/cqrs';

/** False when there was no such destination. Its Track rows stay, for the record. */
export class DeleteDestinationCommand extends Command<boolean> {
  constructor(readonly id: string) {
    super();
  }
}
