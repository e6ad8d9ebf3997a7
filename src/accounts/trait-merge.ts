import type { JsonObject } from '../ingestion/message/canonical-message';

/** Traits sent at one moment (the message's event time). */
export interface TimedTraits {
  traits: JsonObject;
  at: Date;
}

export interface MergedTraits {
  traits: JsonObject;
  traitTimes: Record<string, string>;
  changed: boolean;
}

/**
 * Merges trait updates key by key; for each key the value with the latest event time wins, so
 * messages processed out of order (retries, replays, two workers) converge on the same traits, and a
 * replayed update changes nothing. Equal times: the later update in the list wins.
 */
export function mergeTraitsByTime(
  current: JsonObject,
  currentTimes: Record<string, string>,
  updates: TimedTraits[],
): MergedTraits {
  const traits: JsonObject = { ...current };
  const traitTimes: Record<string, string> = { ...currentTimes };
  let changed = false;
  for (const { traits: incoming, at } of updates) {
    const time = at.toISOString();
    for (const [key, value] of Object.entries(incoming)) {
      const held = traitTimes[key];
      if (held !== undefined && held > time) continue;
      if (held !== time || JSON.stringify(traits[key]) !== JSON.stringify(value)) changed = true;
      traits[key] = value;
      traitTimes[key] = time;
    }
  }
  return { traits, traitTimes, changed };
}

/** `group_id` names the tenant the traits belong to; it is the group's key, not a company trait. */
export function withoutGroupKey(traits: JsonObject): JsonObject {
  if (!('group_id' in traits)) return traits;
  const { group_id: _key, ...rest } = traits;
  return rest;
}
