import { createHmac, randomBytes } from 'node:crypto';
import { type EndpointOutcome, EndpointState } from './endpoint-state.js';
import { StateRegistry } from './state-registry.js';

/** A ClientIP affinity pin: the endpoint a client address was last sent to, and when. */
export interface AffinityPin {
  endpoint: string;
  /** Monotonic ms of the last request of this client; the pin expires `timeout` after it (kube-proxy `recent`). */
  seenAtMs: number;
}

/**
 * Sees every failed try after the registry updated the endpoint's counters: passive outlier detection
 * (`src/health/`) implements it. Called on the request path: must not allocate in the common case.
 */
export interface OutcomeObserver {
  onFailure(endpoint: EndpointState): void;
}

/** Per-backend state that must survive table swaps. Mutated by pickers on the request path. */
export class BackendState {
  readonly name: string;
  /**
   * Index into the eligible endpoint list that round robin hands out next. Kept across reloads so that a config
   * swap continues the rotation: restarting at 0 would send the first request after every reload, on every
   * replica, to the same endpoint.
   */
  roundRobinNext = 0;
  /**
   * Bumped whenever an endpoint of this backend becomes available or unavailable (active check, ejection).
   * Pickers compare it with the value they last saw and recompute their candidate list only then, so health
   * changes act on the live table without a recompile and without per-request work.
   */
  healthEpoch = 0;
  /** Endpoint states of the latest compiled endpoint set, by endpoint name. */
  readonly endpoints = new Map<string, EndpointState>();
  /** ClientIP affinity pins by client address, oldest first (insertion order is refreshed on use: an LRU). */
  readonly pins = new Map<string, AffinityPin>();

  constructor(name: string) {
    this.name = name;
  }
}

export interface EndpointStateRegistryOptions {
  /** Monotonic milliseconds (EWMA decay, affinity pin timeouts). Default `performance.now`. */
  readonly monotonic?: () => number;
  /** Uniform random number in [0, 1) for random choices (random, power of two choices). Default `Math.random`. */
  readonly random?: () => number;
  /** Wall-clock milliseconds since the epoch (cookie `Expires`). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Secret of the keyed hash that turns an endpoint name into its affinity cookie value, so the cookie names
   * the endpoint without revealing its address. Every process and replica must share it for cookies to hold
   * across them; default: random per registry (one process).
   */
  readonly affinityKey?: string;
}

/** Finagle's and Linkerd's decay time for peak EWMA: a latency spike is forgotten over ~10 s. */
const EWMA_DECAY_MS = 10_000;

/**
 * The registry of long-lived data-plane state, one per process, shared by every table that `compile` builds.
 * The owner of the swap calls `retain` with the names of the live table (e.g. `table.backends.keys()`) so that
 * state of removed backends does not accumulate; endpoints gone from a backend are dropped when `compile` binds
 * the backend's new endpoint set (`bindEndpoints`).
 *
 * Also the sink of the data plane's per-try feedback (`started`/`ended`), which keeps in-flight counts, the
 * peak EWMA and the outlier counters, then tells the `OutcomeObserver` (passive health) about failures.
 */
export class EndpointStateRegistry {
  readonly #backends = new StateRegistry<BackendState>((name) => new BackendState(name));
  readonly monotonic: () => number;
  readonly random: () => number;
  readonly now: () => number;
  readonly #affinityKey: string;
  #observer: OutcomeObserver | null = null;

  constructor(options: EndpointStateRegistryOptions = {}) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.#affinityKey = options.affinityKey ?? randomBytes(32).toString('base64');
  }

  /**
   * The affinity cookie value of an endpoint: HMAC-SHA256 of its name under the affinity key, 16 bytes in hex.
   * Stable for a given key, unguessable without it (pod addresses are few enough to enumerate, so a plain hash
   * would leak them). Computed once per endpoint and cached in its state.
   */
  affinityToken(endpoint: EndpointState): string {
    let token = endpoint.affinityToken;
    if (token === null) {
      token = createHmac('sha256', this.#affinityKey).update(endpoint.name).digest('hex').slice(0, 32);
      endpoint.affinityToken = token;
    }
    return token;
  }

  /** State of the backend named `name` (`backend/<ns>/<service>/<port>`), created on first use. */
  backend(name: string): BackendState {
    return this.#backends.acquire(name);
  }

  /** State of an existing backend, or undefined; never creates (views, health). */
  findBackend(name: string): BackendState | undefined {
    return this.#backends.get(name);
  }

  /**
   * The states of `endpointNames` in `backend` (created on first use), in the same order; states of endpoints
   * no longer in the set are dropped from the backend (a table still draining keeps the objects it holds).
   * Compile time only.
   */
  bindEndpoints(backend: string, endpointNames: readonly string[]): EndpointState[] {
    const state = this.backend(backend);
    const out: EndpointState[] = [];
    const live = new Set(endpointNames);
    for (const name of state.endpoints.keys()) {
      if (!live.has(name)) state.endpoints.delete(name);
    }
    for (const name of endpointNames) {
      let endpoint = state.endpoints.get(name);
      if (endpoint === undefined) {
        endpoint = new EndpointState(name, state);
        state.endpoints.set(name, endpoint);
      }
      out.push(endpoint);
    }
    return out;
  }

  /** Backend names that currently have state. */
  backendNames(): IterableIterator<string> {
    return this.#backends.names();
  }

  /** Drops state of every name not in `liveNames`; returns how many entries were dropped. */
  retain(liveNames: Iterable<string>): number {
    return this.#backends.retain(liveNames);
  }

  /** Installs the passive health observer (one per process). */
  observe(observer: OutcomeObserver | null): void {
    this.#observer = observer;
  }

  /** A try was dispatched to `endpoint`. */
  started(endpoint: EndpointState): void {
    endpoint.inFlight++;
  }

  /**
   * A try ended. Updates the peak EWMA the way Finagle's `PeakEwma` does: a slower sample replaces the estimate at
   * once (react to trouble immediately), a faster one is blended in with weight `1 - e^(-Δt/τ)` (recover slowly).
   * Outlier counters follow Envoy: a 5xx counts towards `consecutive_5xx`, a gateway failure towards both it and
   * `consecutive_gateway_failure`, a success resets both; local outcomes count nowhere.
   */
  ended(endpoint: EndpointState, outcome: EndpointOutcome, latencyMs: number): void {
    if (endpoint.inFlight > 0) endpoint.inFlight--;
    if (outcome === 'local') return;
    const now = this.monotonic();
    const previous = endpoint.ewmaMs;
    if (previous === 0 || latencyMs > previous) {
      endpoint.ewmaMs = latencyMs;
    } else {
      const weight = Math.exp(-(now - endpoint.ewmaAtMs) / EWMA_DECAY_MS);
      endpoint.ewmaMs = previous * weight + latencyMs * (1 - weight);
    }
    endpoint.ewmaAtMs = now;
    endpoint.tries++;
    if (outcome === 'success') {
      endpoint.consecutive5xx = 0;
      endpoint.consecutiveGatewayFailures = 0;
      return;
    }
    endpoint.failures++;
    endpoint.consecutive5xx++;
    if (outcome === 'gateway-failure') endpoint.consecutiveGatewayFailures++;
    this.#observer?.onFailure(endpoint);
  }
}
