import { Query } from '@nestjs/cqrs';
import type { AccountView } from '../account-view';

/** An account by its id, its domain (any form; normalised) or its external id. Null when unknown. */
export class GetAccountQuery extends Query<AccountView | null> {
  constructor(readonly by: { id: string } | { domain: string } | { accountId: string }) {
    super();
  }
}
