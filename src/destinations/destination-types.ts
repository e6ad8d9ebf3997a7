import type { MessageType } from '../ingestion/message/canonical-message';

export const DESTINATION_TYPES = ['webhook', 'meta_capi', 'tiktok', 'ga4', 'google_ads'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** pending: being sent; failed: will retry; dead: gave up; skipped: not sent, with the reason. */
export const TRACK_STATUSES = ['pending', 'succeeded', 'failed', 'dead', 'skipped'] as const;
export type TrackStatus = (typeof TRACK_STATUSES)[number];

/** Which events go: message types, track event names allowed, track event names kept back. */
export interface DestinationFilter {
  types?: MessageType[];
  events?: string[];
  excludeEvents?: string[];
}

/** What a destination is, in both its worker form and its admin form. */
interface DestinationFields {
  id: string;
  sourceId: string;
  type: DestinationType;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  mapping: Record<string, string>;
  filter: DestinationFilter;
}

/** A destination with its secrets decrypted: what adapters get. Never leaves the worker. */
export interface DestinationConfig extends DestinationFields {
  /** The decrypted secret values, for masking whatever is recorded. */
  secrets: string[];
}

/** A destination as the admin API returns it: secrets masked. */
export interface DestinationView extends DestinationFields {
  createdAt: string;
  updatedAt: string;
}

/** A Track row as the admin API returns it. */
export interface TrackView {
  id: string;
  eventId: string;
  destinationId: string;
  attempt: number;
  status: TrackStatus;
  request: unknown;
  response: unknown;
  error: string | null;
  replayOf: string | null;
  createdAt: string;
  sentAt: string | null;
}
