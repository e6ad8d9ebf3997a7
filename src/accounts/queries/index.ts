import { GetAccountHandler } from './get-account.handler';
import { ListProfileAccountsHandler } from './list-profile-accounts.handler';

export const QueryHandlers = [GetAccountHandler, ListProfileAccountsHandler];
