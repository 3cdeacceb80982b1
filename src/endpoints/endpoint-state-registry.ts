import { StateRegistry } from './state-registry.js';

/** Per-backend state that must survive table swaps. Mutated by pickers on the request path. */
export class BackendState {
  /**
   * Index into the eligible endpoint list that round robin hands out next. Kept across reloads so that a config
   * swap continues the rotation: restarting at 0 would send the first request after every reload, on every
   * replica, to the same endpoint.
   */
  roundRobinNext = 0;
}

/**
 * The registry of long-lived data-plane state, one per process, shared by every table that `compile` builds.
 * The owner of the swap calls `retain` with the names of the live table (e.g. `table.backends.keys()`) so that
 * state of removed backends does not accumulate.
 */
export class EndpointStateRegistry {
  readonly #backends = new StateRegistry<BackendState>(() => new BackendState());

  /** State of the backend named `name` (`backend/<ns>/<service>/<port>`), created on first use. */
  backend(name: string): BackendState {
    return this.#backends.acquire(name);
  }

  /** Backend names that currently have state. */
  backendNames(): IterableIterator<string> {
    return this.#backends.names();
  }

  /** Drops state of every name not in `liveNames`; returns how many entries were dropped. */
  retain(liveNames: Iterable<string>): number {
    return this.#backends.retain(liveNames);
  }
}
