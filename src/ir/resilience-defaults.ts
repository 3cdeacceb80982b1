import type { CircuitBreakerPolicy, RetryPolicy } from './types.js';

/** Request bodies up to this size are kept for retries: Envoy's default request buffer limit (64 KiB). */
export const DEFAULT_REPLAY_BODY_BYTES = 65_536;

/**
 * The retry policy of a route without `proxy-next-upstream*` annotations: ingress-nginx's default
 * `proxy-next-upstream: error timeout` with 3 tries, minus `timeout`, because a try that timed out may still be
 * working upstream (nginx itself refuses to repeat it for non-idempotent methods); connect failures are always
 * safe to repeat, since nothing reached the upstream application. Backoff: Envoy's 25 ms base, 10× cap.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  onConnectFailure: true,
  onReset: false,
  onTimeout: false,
  statuses: [],
  methods: 'idempotent',
  perTryTimeoutMs: null,
  timeoutMs: null,
  backoffBaseMs: 25,
  backoffMaxMs: 250,
  replayBodyBytes: DEFAULT_REPLAY_BODY_BYTES,
};

/** Envoy's default circuit-breaker thresholds and retry budget; no trip expression. */
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerPolicy = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  retryBudgetPercent: 20,
  retryBudgetMinConcurrency: 3,
  trip: null,
};
