import { Command } from '@nestjs/cqrs';
import type { AccountRef } from '../account-view';
import type { TimedTraits } from '../trait-merge';

export interface UpsertAccountInput {
  /** Any form a customer writes (`https://www.Acme.com/`); normalised by the handler. */
  domain?: string | null;
  /** The customer's own id for the account (Koala `account_id`). */
  accountId?: string | null;
  /** Traits to merge, each with its event time; a `group_id` trait also files them under that group. */
  traits?: TimedTraits[];
}

/**
 * Finds or creates the account a domain / external id names and merges traits onto it, synchronously
 * (Koala's `/accounts/batch`). Throws a 400 naming `domain` when the domain is not a domain name.
 */
export class UpsertAccountCommand extends Command<AccountRef> {
  constructor(readonly input: UpsertAccountInput) {
    super();
  }
}
