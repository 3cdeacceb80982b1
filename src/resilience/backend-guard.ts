import { DEFAULT_CIRCUIT_BREAKER } from '../ir/resilience-defaults.js';
import type { CircuitBreakerPolicy } from '../ir/types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { RetryBudget } from './retry-budget.js';

/** A try waiting for a connection slot of its backend (`BackendGuard.acquireConnection` returned `QUEUED`). */
export interface PendingTry {
  /** A slot was handed over: dispatch now (the slot is already counted for this try). */
  connectionGranted(): void;
}

export const GRANTED = 0;
export const QUEUED = 1;
export const OVERFLOW = 2;
export type Acquire = typeof GRANTED | typeof QUEUED | typeof OVERFLOW;

/**
 * The protection state of one backend, shared by every table that holds the backend (keyed by its name in
 * `ResilienceRegistry`): Envoy's circuit-breaker counters — client requests in flight, connections in use (with
 * HTTP/1.1 and no pipelining, one per try in flight) and tries waiting for one —, the retry budget and the trip
 * breaker. Plain counters, read and written synchronously on the request path.
 */
export class BackendGuard {
  readonly name: string;
  policy: CircuitBreakerPolicy = DEFAULT_CIRCUIT_BREAKER;
  readonly breaker = new CircuitBreaker();
  readonly budget = new RetryBudget();
  /** Client requests admitted and not finished (pending ones included). */
  requests = 0;
  /** Tries holding a connection slot. */
  connections = 0;
  /** Requests refused with 503 `overflow`, for views and tests. */
  overflows = 0;
  readonly #pending: PendingTry[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Applies the policy of the table being compiled (the newest table's settings win). */
  configure(policy: CircuitBreakerPolicy): void {
    if (policy === this.policy) return;
    this.policy = policy;
    this.breaker.configure(policy.trip);
  }

  /** Tries waiting for a connection slot. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Admits a client request under `maxRequests`; false: answer 503 `overflow`. Pair with `requestEnded`. */
  admitRequest(): boolean {
    if (this.requests >= this.policy.maxRequests) {
      this.overflows++;
      return false;
    }
    this.requests++;
    return true;
  }

  requestEnded(): void {
    if (this.requests > 0) this.requests--;
  }

  /**
   * A connection slot for a try: `GRANTED` (pair with `releaseConnection`), `QUEUED` (`waiter` is called when a
   * slot frees up; `cancelPending` if it gives up first) or `OVERFLOW` (pending queue full: 503 `overflow`).
   */
  acquireConnection(waiter: PendingTry): Acquire {
    if (this.connections < this.policy.maxConnections) {
      this.connections++;
      return GRANTED;
    }
    if (this.#pending.length >= this.policy.maxPendingRequests) {
      this.overflows++;
      return OVERFLOW;
    }
    this.#pending.push(waiter);
    return QUEUED;
  }

  /** A try gave its slot back: the oldest waiter inherits it. */
  releaseConnection(): void {
    const next = this.#pending.shift();
    if (next !== undefined) {
      next.connectionGranted();
      return;
    }
    if (this.connections > 0) this.connections--;
  }

  /** A queued try gave up (timeout, client gone); true when it was still waiting. */
  cancelPending(waiter: PendingTry): boolean {
    const index = this.#pending.indexOf(waiter);
    if (index < 0) return false;
    this.#pending.splice(index, 1);
    return true;
  }
}
