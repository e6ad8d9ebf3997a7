import type { JsonObject } from '../ingestion/message/canonical-message';

export const IDENTITY_TYPES = ['userId', 'anonymousId', 'email', 'phone'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** Where a visit came from: kept as first touch and last touch on the profile. */
export interface Attribution {
  /** utm_* without the prefix: source, medium, campaign, term, content. */
  campaign: JsonObject;
  referrer: string | null;
  /** gclid, gbraid, wbraid, fbclid, ttclid, msclkid, li_fat_id, as they stood in the landing URL. */
  clickIds: Record<string, string>;
  /** Meta's browser ids, kept so later server events reuse them (fb.1.<ms>.<fbclid>). */
  fbc?: string;
  fbp?: string;
  url: string | null;
  /** Event time of the message that set it. */
  at: string;
}

export interface ProfileAccountRef {
  id: string;
  domain: string | null;
  accountId: string | null;
}

/** A profile as the admin API returns it and as destinations read it. */
export interface ProfileView {
  id: string;
  identities: Array<{ type: IdentityType; value: string }>;
  traits: JsonObject;
  accounts: ProfileAccountRef[];
  attribution: { first: Attribution | null; last: Attribution | null };
  firstSeenAt: string;
  lastSeenAt: string;
  /**
   * Only on a contested profile: identities seen with two userIds or more belong to no person's
   * profile; these are the userIds they were seen with.
   */
  contestedBy?: string[];
}
