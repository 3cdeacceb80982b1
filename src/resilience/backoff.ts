/**
 * Envoy's retry backoff ("fully jittered" exponential): before retry `retry` (1 for the first), a uniformly random
 * wait in [0, min(maxMs, baseMs × 2^(retry-1))]. `random` is a draw in [0, 1), injected so that tests are exact.
 */
export function backoffMs(retry: number, baseMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, retry - 1)));
  return Math.floor(random * (ceiling + 1));
}
