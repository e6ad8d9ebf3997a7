import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/configuration';

/** What every read shows in place of a secret; sent back unchanged in a PATCH, it keeps the secret. */
export const MASK = '********';
const PREFIX = 'enc:v1:';

export function decodeKey(key: string): Buffer {
  return /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
}

/** AES-256-GCM: a fresh 12-byte IV per value, the tag authenticates it. Stored as `enc:v1:<base64>`. */
export function encryptSecret(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

export function decryptSecret(key: Buffer, stored: string): string {
  if (!stored.startsWith(PREFIX)) throw new Error('not an encrypted secret');
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * Replaces every occurrence of the given secret values in strings anywhere inside `value`, so that a
 * request copied into a Track row or a log line holds no token, wherever the adapter put it (query
 * string, header, body). Values shorter than 4 characters are not secrets worth the false positives.
 */
export function maskValues<T>(value: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const s of list) {
        if (out.includes(s)) out = out.split(s).join(MASK);
        const encoded = encodeURIComponent(s);
        if (encoded !== s && out.includes(encoded)) out = out.split(encoded).join(MASK);
      }
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]),
      );
    }
    return v;
  };
  return walk(value) as T;
}

/** The configured key, or a 503 naming SECRETS_KEY when a secret has to be stored without one. */
@Injectable()
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.secretsKey ? decodeKey(config.secretsKey) : null;
  }

  get configured(): boolean {
    return this.key !== null;
  }

  encrypt(plain: string): string {
    if (!this.key) {
      throw new ServiceUnavailableException(
        'Destination secrets cannot be stored: set SECRETS_KEY (32 bytes, base64 or hex) to enable them',
      );
    }
    return encryptSecret(this.key, plain);
  }

  decrypt(stored: string): string {
    if (!this.key) throw new Error('SECRETS_KEY is not set: destination secrets cannot be read');
    return decryptSecret(this.key, stored);
  }

  isEncrypted(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }
}
