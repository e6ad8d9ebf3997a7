import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { normalizeDomain } from '../../common/domain';
import { AccountStore } from '../account-store';
import type { AccountView } from '../account-view';
import { GetAccountQuery } from './get-account.query';

@QueryHandler(GetAccountQuery)
export class GetAccountHandler implements IQueryHandler<GetAccountQuery> {
  constructor(private readonly store: AccountStore) {}

  async execute({ by }: GetAccountQuery): Promise<AccountView | null> {
    if ('domain' in by) {
      const domain = normalizeDomain(by.domain);
      return domain ? this.store.view({ domain }) : null;
    }
    return this.store.view(by);
  }
}
