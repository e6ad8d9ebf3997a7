import { ConfigError, loadConfig } from './configuration';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      databaseUrl: 'mysql://root@127.0.0.1:3306/tracking',
      redisUrl: 'redis://127.0.0.1:6379',
      adminToken: undefined,
      role: 'all',
      trustProxy: 'loopback',
      logLevel: 'info',
    });
  });

  it.each([
    [{ ROLE: 'both' }, /^ROLE must be one of api, worker, all/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'postgres://x/y' }, /^DATABASE_URL must use mysql:/],
    [{ DATABASE_URL: 'mysql://127.0.0.1:3306' }, /^DATABASE_URL must name a database/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL must use redis:/],
    [{ PORT: '70000' }, /^PORT must be an integer/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ TRUST_PROXY: 'a;b' }, /^TRUST_PROXY is not valid/],
  ])('refuses %p with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads Express trust-proxy syntax', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toBe(
      '10.0.0.0/8, loopback',
    );
  });
});
