import { Command } from '@nestjs/cqrs';
import type { ClientInfo } from '../enrichment/enricher';
import type { Channel, JsonObject, MessageType } from '../message/canonical-message';

export interface IngestEntry {
  raw: unknown;
  /** The type a single-message route implies; batch entries carry their own. */
  impliedType?: MessageType;
  /**
   * Set when the route already found the entry invalid in its own wire format (e.g. a pixel hit
   * without url): it is kept in rejected_events with these errors, like any rejected message.
   */
  rejectedWith?: string[];
  /**
   * What the client sent, when the route converted it into the Segment form in `raw` (Koala): stored
   * as the event's payload, or with the rejection, instead of `raw`.
   */
  payload?: unknown;
}

export interface IngestRequest {
  sourceId: string;
  channel: Channel;
  entries: IngestEntry[];
  batchContext?: JsonObject;
  batchSentAt?: unknown;
  client: ClientInfo;
  receivedAt: Date;
  /** Extra derived fields to store under `enrichment` for every message (e.g. the visitor id's origin). */
  enrichment?: JsonObject;
  /** Account-level events (Koala /accounts/batch) carry the account they belong to. */
  accountId?: string | null;
  /**
   * Set by routes whose messages name their subject another way than userId / anonymousId, which the
   * Segment spec otherwise requires: a Koala request identified only by `email` (carried in
   * `context.traits.email`), or account-level events (`accountId`) that belong to no person.
   */
  identifiedBy?: 'email' | 'account';
}

export interface RejectedMessage {
  index: number;
  messageId: string | null;
  errors: string[];
}

export interface IngestResult {
  success: true;
  accepted: number;
  duplicates: number;
  rejected: RejectedMessage[];
  /** Ids of the events this request stored (not part of the HTTP answer). */
  eventIds: string[];
}

export class IngestMessagesCommand extends Command<IngestResult> {
  constructor(readonly request: IngestRequest) {
    super();
  }
}
