import type { BackendState } from '../endpoints/endpoint-state-registry.js';
import type { RuntimeEndpoint } from '../runtime/table.js';
import { eligibleEndpoints } from './eligible-endpoints.js';

/**
 * The endpoints a picker chooses from right now: the eligible ones (readiness, see `eligibleEndpoints`) that are
 * available (not failing active checks, not ejected). Envoy's healthy panic threshold applies: when fewer than
 * `panicThresholdPercent` of the eligible endpoints are available, every eligible endpoint is a candidate again,
 * because spreading load over possibly-bad endpoints beats overloading the few good ones (or failing all).
 *
 * The list is recomputed lazily when the backend's `healthEpoch` moved, so a health change acts on the live
 * table without a recompile, and an unchanged backend costs one integer comparison per request.
 */
export class CandidateSet {
  /** Eligible endpoints in endpoint-name order, fixed at compile time. */
  readonly eligible: readonly RuntimeEndpoint[];
  readonly #state: BackendState;
  readonly #panicThreshold: number;
  #epoch = -1;
  #current: readonly RuntimeEndpoint[] = [];
  #panic = false;

  constructor(endpoints: readonly RuntimeEndpoint[], state: BackendState, panicThresholdPercent: number) {
    this.eligible = eligibleEndpoints(endpoints);
    this.#state = state;
    this.#panicThreshold = panicThresholdPercent;
  }

  /** Candidates for this request (empty when none: the data plane answers 503). */
  current(): readonly RuntimeEndpoint[] {
    if (this.#epoch !== this.#state.healthEpoch) this.#refresh();
    return this.#current;
  }

  /** True when the panic threshold put unavailable endpoints back in (after `current()`). */
  get panic(): boolean {
    if (this.#epoch !== this.#state.healthEpoch) this.#refresh();
    return this.#panic;
  }

  /** Whether `endpoint` (an eligible one) may be picked now: available, or anything eligible in panic. */
  accepts(endpoint: RuntimeEndpoint): boolean {
    return endpoint.state.available || this.panic;
  }

  #refresh(): void {
    this.#epoch = this.#state.healthEpoch;
    const eligible = this.eligible;
    const available = eligible.filter((endpoint) => endpoint.state.available);
    this.#panic =
      eligible.length > 0 &&
      available.length < eligible.length &&
      available.length * 100 < eligible.length * this.#panicThreshold;
    this.#current = this.#panic ? eligible : available;
  }
}

/**
 * `list[index]`, unless `avoid` names it and another endpoint outside `avoid` exists (then the next such one).
 * The common tail of the pickers that choose an index.
 */
export function atIndexOutside(
  list: readonly RuntimeEndpoint[],
  index: number,
  avoid: ReadonlySet<string> | null,
): RuntimeEndpoint {
  const endpoint = list[index] as RuntimeEndpoint;
  if (avoid === null || !avoid.has(endpoint.name)) return endpoint;
  return firstOutside(list, index + 1, avoid) ?? endpoint;
}

/**
 * The first endpoint of `list` from index `start` on (wrapping) whose name is not in `avoid`; null when every one
 * is. Retries use it to try a different endpoint than the ones that already failed this request.
 */
export function firstOutside(
  list: readonly RuntimeEndpoint[],
  start: number,
  avoid: ReadonlySet<string>,
): RuntimeEndpoint | null {
  const count = list.length;
  for (let i = 0; i < count; i++) {
    const endpoint = list[(start + i) % count] as RuntimeEndpoint;
    if (!avoid.has(endpoint.name)) return endpoint;
  }
  return null;
}
