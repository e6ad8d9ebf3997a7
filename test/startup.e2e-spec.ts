import { spawnSync } from 'node:child_process';

/** Bad configuration stops start-up with one line naming the variable. */
describe('start-up configuration', () => {
  it.each([
    [{ ROLE: 'everything' }, 'ROLE'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://127.0.0.1' }, 'REDIS_URL'],
  ])('refuses %p', (env, variable) => {
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable} `));
  });
});
