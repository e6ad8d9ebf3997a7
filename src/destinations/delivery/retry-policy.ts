/** Longest wait between two attempts, whatever the backoff or a Retry-After asks. */
export const MAX_DELAY_MS = 24 * 3600 * 1000;

/**
 * Exponential backoff with jitter: base·2^(attempt-1), scaled by a random factor in [0.5, 1) so that
 * jobs failed together do not come back together; never shorter than the platform's Retry-After.
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const backoff = baseMs * 2 ** Math.min(attempt - 1, 30) * (0.5 + random() / 2);
  return Math.min(MAX_DELAY_MS, Math.max(Math.round(backoff), retryAfterMs ?? 0));
}
