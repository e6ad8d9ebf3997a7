import { ServiceUnavailableException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/configuration';
import { decryptSecret, encryptSecret, MASK, maskValues, SecretBox } from './secrets';

describe('secrets', () => {
  const key = randomBytes(32);

  it('round-trips through AES-256-GCM with a fresh IV each time', () => {
    const a = encryptSecret(key, 'token-123');
    const b = encryptSecret(key, 'token-123');
    expect(a).toMatch(/^enc:v1:/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('token-123');
    expect(decryptSecret(key, a)).toBe('token-123');
  });

  it('refuses a tampered value or the wrong key', () => {
    const a = encryptSecret(key, 'token-123');
    const raw = Buffer.from(a.slice(7), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => decryptSecret(key, `enc:v1:${raw.toString('base64')}`)).toThrow();
    expect(() => decryptSecret(randomBytes(32), a)).toThrow();
  });

  it('masks secret values wherever they appear, URL-encoded too', () => {
    const masked = maskValues(
      {
        url: 'https://x/?access_token=a%2Fb%3Dc',
        headers: { h: 'Bearer a/b=c' },
        list: ['a/b=c!'],
        n: 1,
      },
      ['a/b=c'],
    );
    expect(masked).toEqual({
      url: `https://x/?access_token=${MASK}`,
      headers: { h: `Bearer ${MASK}` },
      list: [`${MASK}!`],
      n: 1,
    });
  });

  it('answers 503 naming SECRETS_KEY when a secret must be stored without a key', () => {
    const box = new SecretBox({ ...loadConfig({}), secretsKey: undefined });
    expect(box.configured).toBe(false);
    expect(() => box.encrypt('x')).toThrow(ServiceUnavailableException);
    expect(() => box.encrypt('x')).toThrow(/SECRETS_KEY/);
    const configured = new SecretBox({ ...loadConfig({}), secretsKey: key.toString('hex') });
    expect(configured.decrypt(configured.encrypt('y'))).toBe('y');
  });

  it('validates SECRETS_KEY and the delivery settings at start-up', () => {
    expect(loadConfig({ SECRETS_KEY: key.toString('base64') }).secretsKey).toBe(
      key.toString('base64'),
    );
    expect(loadConfig({ SECRETS_KEY: key.toString('hex') }).secretsKey).toBe(key.toString('hex'));
    expect(() => loadConfig({ SECRETS_KEY: 'short' })).toThrow(/SECRETS_KEY must be 32 bytes/);
    const c = loadConfig({});
    expect([c.deliveryBackoffMs, c.deliveryMaxAttempts, c.deliveryTimeoutMs]).toEqual([
      1000, 8, 10000,
    ]);
    expect(() => loadConfig({ DELIVERY_MAX_ATTEMPTS: '0' })).toThrow(/DELIVERY_MAX_ATTEMPTS/);
    expect(() => loadConfig({ DELIVERY_BACKOFF_MS: 'x' })).toThrow(/DELIVERY_BACKOFF_MS/);
  });
});
