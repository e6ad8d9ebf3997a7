import { MAX_DELAY_MS, retryDelayMs } from './retry-policy';

describe('retryDelayMs', () => {
  it('doubles per attempt, with jitter in [50%, 100%) of the step', () => {
    expect(retryDelayMs(1, 1000, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, undefined, () => 0.999)).toBe(1000);
    expect(retryDelayMs(4, 1000, undefined, () => 0)).toBe(4000);
  });

  it('never waits less than Retry-After, nor more than a day', () => {
    expect(retryDelayMs(1, 10, 30_000, () => 0)).toBe(30_000);
    expect(retryDelayMs(40, 1000, undefined, () => 0.5)).toBe(MAX_DELAY_MS);
  });
});
