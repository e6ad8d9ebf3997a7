import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AccountStore } from '../account-store';
import type { AccountRef } from '../account-view';
import { ListProfileAccountsQuery } from './list-profile-accounts.query';

@QueryHandler(ListProfileAccountsQuery)
export class ListProfileAccountsHandler implements IQueryHandler<ListProfileAccountsQuery> {
  constructor(private readonly store: AccountStore) {}

  execute({ profileId }: ListProfileAccountsQuery): Promise<AccountRef[]> {
    return this.store.accountsOf(profileId);
  }
}
