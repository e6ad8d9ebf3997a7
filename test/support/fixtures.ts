import { createHash } from 'node:crypto';
import type { Attribution, ProfileView } from '../../src/identity/profile-view';
import type { EventView } from '../../src/ingestion/message/canonical-message';
import type { DestinationConfig } from '../../src/destinations/destination-types';

/**
 * Builders for the unit specs (destinations, accounts): one `EventView`, `DestinationConfig` and
 * `ProfileView` shape, so a field added to a contract type is added here once. Each spec passes
 * what its cases depend on (timestamps, ids, the destination type and its settings) and keeps it
 * in view.
 * Lives under test/ so the production build (tsconfig.build.json excludes test/) never ships it.
 */

export const sha = (v: string): string => createHash('sha256').update(v).digest('hex');

/** The clock and event time the 2024 platform examples (GA4, Meta, TikTok docs) are built on. */
export const NOW_2024 = new Date('2024-11-23T12:00:00Z');
export const TS_2024 = new Date(1732300000 * 1000).toISOString();

/** A stored track event at `ts` (timestamp, originalTimestamp and receivedAt), no profile yet. */
export function eventView(ts: string, over: Partial<EventView> = {}): EventView {
  return {
    id: 'ev-1',
    sourceId: 'src',
    type: 'track',
    messageId: 'msg-1',
    userId: 'user-1',
    anonymousId: null,
    event: 'Order Completed',
    name: null,
    properties: {},
    traits: {},
    groupId: null,
    previousId: null,
    context: {},
    integrations: {},
    timestamp: ts,
    originalTimestamp: ts,
    sentAt: null,
    receivedAt: ts,
    profileId: null,
    accountId: null,
    bot: false,
    enrichment: {},
    ...over,
  };
}

/** An enabled destination `d1` on source `src` without mapping or filter. */
export function destinationConfig(
  over: Partial<DestinationConfig> & Pick<DestinationConfig, 'type' | 'name'>,
): DestinationConfig {
  const { type, name, ...rest } = over;
  return {
    id: 'd1',
    sourceId: 'src',
    type,
    name,
    enabled: true,
    settings: {},
    mapping: {},
    filter: {},
    secrets: [],
    ...rest,
  };
}

/** Profile `p1`, first and last seen at `ts`, with no identities, traits or attribution. */
export function profileView(ts: string, over: Partial<ProfileView> = {}): ProfileView {
  return {
    id: 'p1',
    identities: [],
    traits: {},
    accounts: [],
    attribution: { first: null, last: null },
    firstSeenAt: ts,
    lastSeenAt: ts,
    ...over,
  };
}

/** A touch (first or last attribution) with only click ids, at `at`. */
export const touch = (clickIds: Record<string, string>, at: string): Attribution => ({
  campaign: {},
  referrer: null,
  clickIds,
  url: null,
  at,
});
