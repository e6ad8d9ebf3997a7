import type { DestinationAdapter, SettingSpec } from './adapters/adapter';

const MAX_SETTING_LENGTH = 4096;

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
  } catch {
    return false;
  }
}

function checkOne(
  spec: SettingSpec,
  value: unknown,
  type: string,
): { error?: string; value?: unknown } {
  const field = `settings.${spec.name}`;
  switch (spec.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { error: `${field} must be true or false` };
    case 'enum':
      return typeof value === 'string' && spec.values?.includes(value)
        ? { value }
        : { error: `${field} must be one of ${spec.values?.join(', ')}` };
    case 'url': {
      if (typeof value !== 'string' || !isHttpUrl(value.trim())) {
        return { error: `${field} must be an http(s) URL` };
      }
      return { value: value.trim() };
    }
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number')
        return { error: `${field} must be a string` };
      const s = String(value).trim();
      if (!s) return { error: `${field} must not be empty` };
      if (s.length > MAX_SETTING_LENGTH)
        return { error: `${field} is longer than ${MAX_SETTING_LENGTH} characters` };
      if (spec.pattern && !spec.pattern.test(s)) {
        return { error: `${field} is not valid for ${type}${spec.hint ? ` (${spec.hint})` : ''}` };
      }
      return { value: s };
    }
  }
}

/**
 * Checks a destination's settings against its type: unknown names, missing required ones, formats.
 * `keep(name)` says a secret is already stored (a PATCH that sends the mask back keeps it). Returns the
 * normalised settings or every error, each naming its field.
 */
export function validateSettings(
  adapter: DestinationAdapter,
  settings: Record<string, unknown>,
  keep: (name: string) => boolean = () => false,
): { settings: Record<string, unknown>; errors: string[] } {
  const errors: string[] = [];
  const out: Record<string, unknown> = {};
  const known = new Map(adapter.settings.map((s) => [s.name, s]));
  for (const name of Object.keys(settings)) {
    if (!known.has(name)) {
      errors.push(
        `settings.${name} is not a setting of ${adapter.type} (known: ${adapter.settings.map((s) => s.name).join(', ')})`,
      );
    }
  }
  for (const spec of adapter.settings) {
    const value = settings[spec.name];
    const required =
      spec.required ||
      (spec.requiredWhen && settings[spec.requiredWhen.name] === spec.requiredWhen.equals);
    if (value === undefined || value === null || value === '') {
      if (required && !keep(spec.name)) {
        errors.push(
          `settings.${spec.name} is required for ${adapter.type}${
            spec.requiredWhen
              ? ` when ${spec.requiredWhen.name} is ${spec.requiredWhen.equals}`
              : ''
          }`,
        );
      }
      continue;
    }
    if (keep(spec.name)) {
      out[spec.name] = value;
      continue;
    }
    const r = checkOne(spec, value, adapter.type);
    if (r.error) errors.push(r.error);
    else out[spec.name] = r.value;
  }
  return { settings: out, errors };
}

export const secretNames = (adapter: DestinationAdapter): string[] =>
  adapter.settings.filter((s) => s.secret).map((s) => s.name);
