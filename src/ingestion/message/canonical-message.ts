export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** How a message reached us; decides enrichment defaults (a Koala call without User-Agent is a bot). */
export type Channel = 'segment' | 'koala' | 'pixel';

/**
 * One message in the canonical (Segment spec) form every route normalises to. This is what is stored
 * in `events` and what the admin API and the webhook destination show (plus the stored fields in
 * `EventView`).
 */
export interface CanonicalMessage {
  type: MessageType;
  messageId: string;
  userId: string | null;
  anonymousId: string | null;
  event: string | null;
  name: string | null;
  properties: JsonObject;
  traits: JsonObject;
  groupId: string | null;
  previousId: string | null;
  context: JsonObject;
  integrations: JsonObject;
  /** Skew-corrected event time. */
  timestamp: Date;
  /** The client's `timestamp` as sent. */
  originalTimestamp: Date | null;
  sentAt: Date | null;
  receivedAt: Date;
}

/** A stored event as the admin API returns it. Times are ISO 8601 strings in UTC. */
export interface EventView {
  id: string;
  sourceId: string;
  type: MessageType;
  messageId: string;
  userId: string | null;
  anonymousId: string | null;
  event: string | null;
  name: string | null;
  properties: JsonObject;
  traits: JsonObject;
  groupId: string | null;
  previousId: string | null;
  context: JsonObject;
  integrations: JsonObject;
  timestamp: string;
  originalTimestamp: string | null;
  sentAt: string | null;
  receivedAt: string;
  profileId: string | null;
  accountId: string | null;
  bot: boolean;
  enrichment: JsonObject;
}
