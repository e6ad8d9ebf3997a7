import type { JsonObject } from '../ingestion/message/canonical-message';

/** What the accounts module tells others about an account (and `GET /admin/accounts` answers). */
export interface AccountView {
  id: string;
  domain: string | null;
  accountId: string | null;
  traits: JsonObject;
  groups: Array<{ groupId: string; traits: JsonObject }>;
  profileCount: number;
}

/** An account named in another view (a profile's `accounts`). */
export interface AccountRef {
  id: string;
  domain: string | null;
  accountId: string | null;
}
