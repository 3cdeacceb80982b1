import type { RuntimeBackend } from '../runtime/table.js';

/**
 * What a backend's guard knows right now (`BackendView.resilience`): Envoy's circuit-breaker counters against
 * their limits, the retry budget's refusals and the trip breaker's state. Counters are totals since the backend
 * appeared in the configuration.
 */
export interface BackendResilienceView {
  /** The trip breaker: `closed` also for backends without a trip expression. */
  readonly breaker: 'closed' | 'open' | 'half-open';
  /** The trip expression as written; null when the backend has none (only the limits apply). */
  readonly tripExpression: string | null;
  /** Times the breaker opened. */
  readonly breakerOpened: number;
  /** Retries the retry budget refused. */
  readonly retryBudgetRefused: number;
  /** Requests answered 503 `overflow` (max requests, or pending queue full). */
  readonly overflows: number;
  /** Client requests in flight, pending ones included. */
  readonly requests: number;
  /** Tries holding a connection slot. */
  readonly connections: number;
  /** Tries waiting for a connection slot. */
  readonly pending: number;
  readonly limits: {
    readonly maxRequests: number;
    readonly maxConnections: number;
    readonly maxPendingRequests: number;
    readonly retryBudgetPercent: number;
  };
}

/** The resilience state of `backend` from the live table; null when the table does not hold it. */
export function backendResilienceView(backend: RuntimeBackend | undefined): BackendResilienceView | null {
  if (backend === undefined) return null;
  const guard = backend.guard;
  const policy = guard.policy;
  return {
    breaker: guard.breaker.state,
    tripExpression: policy.trip?.source ?? null,
    breakerOpened: guard.breaker.opened,
    retryBudgetRefused: guard.budget.refused,
    overflows: guard.overflows,
    requests: guard.requests,
    connections: guard.connections,
    pending: guard.pending,
    limits: {
      maxRequests: policy.maxRequests,
      maxConnections: policy.maxConnections,
      maxPendingRequests: policy.maxPendingRequests,
      retryBudgetPercent: policy.retryBudgetPercent,
    },
  };
}
