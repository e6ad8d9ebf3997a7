import { registerAs } from '@nestjs/config';
import { isSupportedCountry } from 'libphonenumber-js';

export type Role = 'api' | 'worker' | 'all';

export interface AppConfig {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key the service writes (queues, rate limits), so tenants or tests can share a Redis. */
  redisPrefix: string;
  adminToken: string | undefined;
  role: Role;
  trustProxy: boolean | number | string;
  logLevel: string;
  /** Set in tests only: lets a test database be built without the migration history. */
  sweepIntervalMs: number;
  /** Country/region/city enrichment from the offline database (about 140 MB of memory per API process). */
  geoip: boolean;
  /** Worker role only: serve /metrics and /health on this port (a worker has no HTTP API). */
  metricsPort: number | null;
  /** ISO 3166 alpha-2 region for phone numbers sent without a country code (identity resolution). */
  defaultPhoneRegion: string;
  /** AES-256-GCM key for destination secrets (32 bytes, base64 or 64 hex). */
  secretsKey: string | undefined;
  /** Base of the exponential backoff between delivery attempts. */
  deliveryBackoffMs: number;
  /** Attempts per (event, destination) before a delivery is dead. */
  deliveryMaxAttempts: number;
  /** Whole-request timeout of one outgoing delivery request. */
  deliveryTimeoutMs: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseUrl(name: string, value: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: expected ${protocols[0]}//host:port/...`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      `${name} must use ${protocols.join(' or ')} (got ${url.protocol.replace(/:$/, '')})`,
    );
  }
  if (!url.hostname) throw new ConfigError(`${name} has no host`);
  return value;
}

function parseInteger(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
  }
  return Number(value);
}

/** Express `trust proxy` syntax: true/false, a hop count, or comma-separated addresses/names. */
function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^[\w.:/,\s-]+$/.test(value)) {
    throw new ConfigError(`TRUST_PROXY is not valid Express "trust proxy" syntax (got "${value}")`);
  }
  return value;
}

function parseSwitch(name: string, value: string): boolean {
  if (['on', 'true', '1'].includes(value)) return true;
  if (['off', 'false', '0'].includes(value)) return false;
  throw new ConfigError(`${name} must be on or off (got "${value}")`);
}

/** 32 bytes as 64 hex digits or base64; kept as given (decoded where it is used). */
function parseSecretsKey(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^[0-9a-f]{64}$/i.test(value)) return value;
  const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value);
  if (base64 && Buffer.from(value, 'base64').length === 32) return value;
  throw new ConfigError(
    'SECRETS_KEY must be 32 bytes as base64 or 64 hex digits (e.g. `openssl rand -base64 32`)',
  );
}

const delivery = (name: string, fallback: string, env: NodeJS.ProcessEnv, max: number): number =>
  parseInteger(name, env[name]?.trim() || fallback, 1, max);

/**
 * Reads and validates the environment. Throws a ConfigError whose message is one line naming the
 * variable, so start-up can print it and exit.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const get = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v.trim();
  };
  const role = get('ROLE', 'all');
  if (role !== 'api' && role !== 'worker' && role !== 'all') {
    throw new ConfigError(`ROLE must be one of api, worker, all (got "${role}")`);
  }
  const logLevel = get('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const databaseUrl = parseUrl(
    'DATABASE_URL',
    get('DATABASE_URL', 'mysql://root@127.0.0.1:3306/tracking'),
    ['mysql:', 'mariadb:'],
  );
  if (!new URL(databaseUrl).pathname.replace(/^\//, '')) {
    throw new ConfigError(
      'DATABASE_URL must name a database, e.g. mysql://root@127.0.0.1:3306/tracking',
    );
  }
  const redisPrefix = get('REDIS_PREFIX', 'tk');
  if (!/^[\w:{}-]+$/.test(redisPrefix)) {
    throw new ConfigError(
      `REDIS_PREFIX may hold letters, digits, _ - : { } only (got "${redisPrefix}")`,
    );
  }
  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  const defaultPhoneRegion = get('DEFAULT_PHONE_REGION', 'US').toUpperCase();
  if (!isSupportedCountry(defaultPhoneRegion)) {
    throw new ConfigError(
      `DEFAULT_PHONE_REGION must be a region code with a phone numbering plan, e.g. US or DE (got "${defaultPhoneRegion}")`,
    );
  }
  return {
    port: parseInteger('PORT', get('PORT', '3000'), 0, 65535),
    databaseUrl,
    redisUrl: parseUrl('REDIS_URL', get('REDIS_URL', 'redis://127.0.0.1:6379'), [
      'redis:',
      'rediss:',
    ]),
    redisPrefix,
    adminToken,
    role,
    trustProxy: parseTrustProxy(get('TRUST_PROXY', 'loopback')),
    logLevel,
    sweepIntervalMs: parseInteger(
      'SWEEP_INTERVAL_MS',
      get('SWEEP_INTERVAL_MS', '5000'),
      100,
      3_600_000,
    ),
    defaultPhoneRegion,
    geoip: parseSwitch('GEOIP', get('GEOIP', 'on')),
    metricsPort: env.METRICS_PORT?.trim()
      ? parseInteger('METRICS_PORT', env.METRICS_PORT.trim(), 1, 65535)
      : null,
    secretsKey: parseSecretsKey(env.SECRETS_KEY?.trim()),
    deliveryBackoffMs: delivery('DELIVERY_BACKOFF_MS', '1000', env, 3_600_000),
    deliveryMaxAttempts: delivery('DELIVERY_MAX_ATTEMPTS', '8', env, 100),
    deliveryTimeoutMs: delivery('DELIVERY_TIMEOUT_MS', '10000', env, 300_000),
  };
}

export const APP_CONFIG = 'APP_CONFIG';

/** The validated config as a @nestjs/config namespace, for `ConfigService.get('app')`. */
export const appConfigNamespace = (config: AppConfig) => registerAs('app', () => config);

export const runsHttp = (role: Role): boolean => role !== 'worker';
export const runsWorker = (role: Role): boolean => role !== 'api';
