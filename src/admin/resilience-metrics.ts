import { Counter, Gauge, type Registry } from 'prom-client';
import type { SnapshotHolder } from '../runtime/holder.js';
import type { RuntimeBackend } from '../runtime/table.js';

/** The states of a trip breaker, each exported as a series of `tidegate_circuit_breaker_state`. */
const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Per-backend resilience metrics, read from the live table's backend guards at scrape time: the request path
 * only bumps the guards' plain counters (`overflows`, `budget.refused`, `breaker.opened`) and moves the breaker's
 * state, so it pays nothing for them, and series of backends gone from the table disappear with the next scrape.
 *
 * - `tidegate_circuit_breaker_state{service,state}`: 1 for the current state, 0 for the two others; only for
 *   backends with a trip expression (the others cannot leave `closed`, and 3 series each would be noise).
 *   An open breaker reads `open` until the first request after its fallback duration makes it `half-open`.
 * - `tidegate_circuit_breaker_opened_total{service}`: times the breaker opened (closed or half-open → open).
 * - `tidegate_retry_budget_refused_total{service}`: retries the budget refused (the failure went to the client).
 * - `tidegate_backend_overflow_total{service}`: requests answered 503 `overflow` (max requests, or pending queue
 *   full: Envoy's `upstream_rq_pending_overflow`).
 *
 * The counters are the guard's totals since the backend appeared; a backend removed and added again starts from
 * 0, which Prometheus' `rate()` reads as a counter reset.
 */
export function registerResilienceMetrics(registry: Registry, holder: SnapshotHolder): void {
  const registers = [registry];
  const backends = (): Iterable<RuntimeBackend> => holder.current?.backends.values() ?? [];
  new Gauge<'service' | 'state'>({
    name: 'tidegate_circuit_breaker_state',
    help: 'Circuit breaker state per backend service with a trip expression: 1 for the current state (closed, open, half-open), else 0.',
    labelNames: ['service', 'state'],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) {
        const guard = backend.guard;
        if (guard.policy.trip === null) continue;
        const current = guard.breaker.state;
        for (const state of CIRCUIT_STATES)
          this.set({ service: backend.name, state }, state === current ? 1 : 0);
      }
    },
  });
  const perBackendTotal = (
    name: string,
    help: string,
    read: (guard: RuntimeBackend['guard']) => number,
    always: (guard: RuntimeBackend['guard']) => boolean,
  ): void => {
    new Counter<'service'>({
      name,
      help,
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const backend of backends()) {
          const value = read(backend.guard);
          if (value > 0 || always(backend.guard)) this.inc({ service: backend.name }, value);
        }
      },
    });
  };
  const hasTrip = (guard: RuntimeBackend['guard']): boolean => guard.policy.trip !== null;
  perBackendTotal(
    'tidegate_circuit_breaker_opened_total',
    'Times the circuit breaker of a backend service opened.',
    (guard) => guard.breaker.opened,
    hasTrip,
  );
  // Zero series are left out: with thousands of backends, two always-zero series each would swamp a scrape.
  perBackendTotal(
    'tidegate_retry_budget_refused_total',
    'Retries of a backend service refused by its retry budget.',
    (guard) => guard.budget.refused,
    () => false,
  );
  perBackendTotal(
    'tidegate_backend_overflow_total',
    'Requests to a backend service answered 503 overflow (max requests or pending queue reached).',
    (guard) => guard.overflows,
    () => false,
  );
}
