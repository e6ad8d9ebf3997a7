import { BadRequestException } from '@nestjs/common';
import { adapterFor } from '../adapters';
import { secretNames, validateSettings } from '../destination-settings';
import type { DestinationFilter, DestinationType } from '../destination-types';
import { MASK, SecretBox } from '../secrets';

/**
 * Validated settings ready to store: secrets encrypted; `stored` are the current stored settings on an
 * update (secrets there are kept when the patch leaves them out or sends the mask back).
 */
export function settingsToStore(
  type: DestinationType,
  given: Record<string, unknown>,
  secrets: SecretBox,
  stored: Record<string, unknown> = {},
): Record<string, unknown> {
  const adapter = adapterFor(type);
  const secretSet = new Set(secretNames(adapter));
  const merged: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(given)) {
    if (v === null) delete merged[k];
    else if (!(secretSet.has(k) && v === MASK)) merged[k] = v;
  }
  const keep = (name: string) => secretSet.has(name) && secrets.isEncrypted(merged[name]);
  const { settings, errors } = validateSettings(adapter, merged, keep);
  if (errors.length > 0) throw new BadRequestException(errors.join('; '));
  for (const name of secretSet) {
    const v = settings[name];
    if (typeof v === 'string' && !secrets.isEncrypted(v)) settings[name] = secrets.encrypt(v);
  }
  return settings;
}

export function checkMapping(mapping: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(mapping ?? {})) {
    if (typeof v !== 'string' || !v.trim() || v.length > 255) {
      throw new BadRequestException(
        `mapping.${k} must be a platform event name (a non-empty string)`,
      );
    }
    out[k] = v.trim();
  }
  return out;
}

export function cleanFilter(filter: DestinationFilter | undefined): DestinationFilter {
  const out: DestinationFilter = {};
  if (filter?.types?.length) out.types = filter.types;
  if (filter?.events?.length) out.events = filter.events;
  if (filter?.excludeEvents?.length) out.excludeEvents = filter.excludeEvents;
  return out;
}
