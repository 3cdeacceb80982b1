import type { BackendState } from '../endpoints/endpoint-state-registry.js';
import type { RuntimeEndpoint } from '../runtime/table.js';

/**
 * A structure built from a backend's endpoint set (a hash ring, a Maglev table), kept with the backend's
 * long-lived state so that a compile which leaves the set unchanged (every reload that touches another object)
 * reuses it instead of rebuilding: a ring over 1000 endpoints costs tens of milliseconds. The key is what the
 * structure depends on, the endpoint names and weights in their (sorted) order; the value must hold indices into
 * that list, never the endpoint objects, which each compile creates afresh.
 *
 * One entry per backend (the latest set); a `WeakMap` on the state, so the entry goes with the backend when the
 * registry drops it.
 */
export class EndpointSetCache<T> {
  readonly #entries = new WeakMap<BackendState, { readonly key: string; readonly value: T }>();
  readonly #build: (endpoints: readonly RuntimeEndpoint[]) => T;

  constructor(build: (endpoints: readonly RuntimeEndpoint[]) => T) {
    this.#build = build;
  }

  /** The structure for `endpoints` in `state`'s backend: the cached one when the set is unchanged. Compile time. */
  get(state: BackendState, endpoints: readonly RuntimeEndpoint[]): T {
    let key = '';
    for (const endpoint of endpoints) key += `${endpoint.name}\u0000${endpoint.weight}\n`;
    const entry = this.#entries.get(state);
    if (entry !== undefined && entry.key === key) return entry.value;
    const value = this.#build(endpoints);
    this.#entries.set(state, { key, value });
    return value;
  }
}
