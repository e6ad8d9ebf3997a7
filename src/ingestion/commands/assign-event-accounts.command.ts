import { Command } from '@nestjs/cqrs';

/**
 * Records on stored events the account the accounts stage filed them under (`events.account_id`), so
 * the admin API and later replays see it. Idempotent: it only ever writes the given value.
 */
export class AssignEventAccountsCommand extends Command<void> {
  constructor(readonly assignments: Array<{ eventId: string; accountId: string }>) {
    super();
  }
}
