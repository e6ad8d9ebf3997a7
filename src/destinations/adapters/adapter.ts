import type { ProfileView } from '../../identity/profile-view';
import type { EventView, MessageType } from '../../ingestion/message/canonical-message';
import type { DestinationConfig, DestinationType } from '../destination-types';

/** One event to deliver, with the profile identity resolution gave it (null when none). */
export interface AdapterInput {
  event: EventView;
  profile: ProfileView | null;
}

/** An HTTP request exactly as it goes out, and the events it carries (in body order). */
export interface OutgoingRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  eventIds: string[];
  /** Each event's own part of the body, for its Track row: a batch is not copied into every row. */
  parts: unknown[];
}

export interface BuildResult {
  requests: OutgoingRequest[];
  /** Events that are not sent, with the reason (too old, no click id, ...). */
  skipped: Array<{ eventId: string; reason: string }>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Outcome =
  | { status: 'succeeded' }
  | { status: 'retry'; error: string; retryAfterMs?: number; invalidateAuth?: boolean }
  | { status: 'dead'; error: string };

export type SettingKind = 'string' | 'url' | 'boolean' | 'enum';

export interface SettingSpec {
  name: string;
  kind: SettingKind;
  required?: boolean;
  /** Stored encrypted, masked on every read. */
  secret?: boolean;
  values?: readonly string[];
  pattern?: RegExp;
  /** Shown in the 400 when the pattern does not match. */
  hint?: string;
  /** Required only when another setting has a value (Google Ads legacy API: developerToken). */
  requiredWhen?: { name: string; equals: string };
}

/**
 * One platform. `build` and `classify` are pure: the processor does the I/O (profiles, OAuth tokens,
 * HTTP, Track rows), so each adapter is tested against the platform's documented example alone.
 */
export interface DestinationAdapter {
  readonly type: DestinationType;
  readonly settings: readonly SettingSpec[];
  /** Message types the platform takes at all. */
  readonly types: readonly MessageType[];
  /** Oldest event the platform accepts (null: no limit); older ones are skipped, never sent. */
  readonly windowMs: number | null;
  /** Segment event name (or `page` / `screen`) → the platform's event; a destination's `mapping` wins. */
  readonly defaultMapping: Readonly<Record<string, string>>;
  /** The processor exchanges the OAuth refresh token and sets `Authorization` before sending. */
  readonly oauth?: boolean;
  /** Beyond type and filter: whether the platform has a use for this event (Google Ads: a conversion). */
  accepts?(event: EventView, dest: DestinationConfig): boolean;
  build(inputs: AdapterInput[], dest: DestinationConfig, now: Date): BuildResult;
  /** One outcome for the whole request, or one per event when the platform answers per row. */
  classify(res: HttpResponse, req: OutgoingRequest, dest: DestinationConfig): Outcome | Outcome[];
}

export const DAY_MS = 24 * 3600 * 1000;
