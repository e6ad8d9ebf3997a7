import { LinkAccountsHandler } from './link-accounts.handler';
import { UpsertAccountHandler } from './upsert-account.handler';

export const CommandHandlers = [UpsertAccountHandler, LinkAccountsHandler];
