import { Query } from '@nestjs/cqrs';
import type { AccountRef } from '../account-view';

/** The accounts a profile belongs to, oldest link first (a profile's `accounts` in the admin API). */
export class ListProfileAccountsQuery extends Query<AccountRef[]> {
  constructor(readonly profileId: string) {
    super();
  }
}
