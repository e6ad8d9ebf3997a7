import type { EventEntity } from './entities/event.entity';
import type { EventView, JsonObject } from './message/canonical-message';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * For raw queries: MariaDB hands JSON columns back as text, MySQL 8 as objects. (Entities loaded
 * through TypeORM are parsed already; a JSON string value must not be parsed twice.)
 */
export function parseJsonColumn<T = JsonObject>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value as T;
}

export function toEventView(e: EventEntity): EventView {
  return {
    id: e.id,
    sourceId: e.sourceId,
    type: e.type,
    messageId: e.messageId,
    userId: e.userId,
    anonymousId: e.anonymousId,
    event: e.event,
    name: e.name,
    properties: e.properties ?? {},
    traits: e.traits ?? {},
    groupId: e.groupId,
    previousId: e.previousId,
    context: e.context ?? {},
    integrations: e.integrations ?? {},
    timestamp: e.timestamp.toISOString(),
    originalTimestamp: iso(e.originalTimestamp),
    sentAt: iso(e.sentAt),
    receivedAt: e.receivedAt.toISOString(),
    profileId: e.profileId,
    accountId: e.accountId,
    bot: Boolean(e.bot),
    enrichment: e.enrichment ?? {},
  };
}
