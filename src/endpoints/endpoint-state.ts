import type { BackendState } from './endpoint-state-registry.js';

/**
 * How one try against an endpoint ended, as the data plane reports it: `success` any response below 500 (or a
 * relayed upgrade), `http-5xx` the upstream answered 5xx, `gateway-failure` connect refused/failed, reset or
 * timeout (Envoy's "gateway failure"), `local` the client left or the gateway itself failed: not the upstream's
 * fault, counted nowhere.
 */
export type EndpointOutcome = 'success' | 'http-5xx' | 'gateway-failure' | 'local';

/**
 * Long-lived state of one endpoint, keyed by its stable name (`<backend>|<ip>:<port>`). Every table that holds
 * the endpoint shares this object, so in-flight counts, latency, health and ejections carry over reloads, and a
 * health change reaches the pickers of the live table without recompiling it.
 *
 * Written by the data plane (`started`/`ended` through the registry), the active checker and the outlier
 * detector; read by pickers. Fields are plain numbers and booleans: the request path reads them without
 * allocating.
 */
export class EndpointState {
  readonly name: string;
  readonly backend: BackendState;
  /** Tries dispatched and not yet ended (least_request, ewma). */
  inFlight = 0;
  /** Peak-EWMA of the try latency in ms (ewma policy); 0 until the first sample. */
  ewmaMs = 0;
  /** Monotonic ms of the last EWMA sample, for the time-based decay. */
  ewmaAtMs = 0;
  /** Tries ended, for views. */
  tries = 0;
  /** Tries that ended as `http-5xx` or `gateway-failure`, for views. */
  failures = 0;
  /** Passive outlier detection: consecutive 5xx answers and gateway failures (Envoy `consecutive_5xx`). */
  consecutive5xx = 0;
  /** Consecutive gateway failures only (Envoy `consecutive_gateway_failure`). */
  consecutiveGatewayFailures = 0;
  /** How often this endpoint was ejected; the next ejection lasts base time × (count + 1). */
  ejectionCount = 0;
  /** Wall-clock ms when the current ejection ends; 0 when not ejected. */
  ejectedUntilMs = 0;
  /** Smooth weighted round robin's running weight (nginx `current_weight`). */
  wrrCurrent = 0;
  /** Result of the last active check, for views: `unknown` before the first one (or without checks). */
  lastCheck: 'unknown' | 'pass' | 'fail' = 'unknown';
  /** Cookie affinity value (see `EndpointStateRegistry.affinityToken`), computed on first use. */
  affinityToken: string | null = null;
  #activeHealthy = true;
  #ejected = false;

  constructor(name: string, backend: BackendState) {
    this.name = name;
    this.backend = backend;
  }

  /** False while the active checker judges the endpoint unhealthy; true without active checks. */
  get activeHealthy(): boolean {
    return this.#activeHealthy;
  }

  /** True while passive outlier detection keeps the endpoint ejected. */
  get ejected(): boolean {
    return this.#ejected;
  }

  /** Neither failing active checks nor ejected: pickers prefer available endpoints (see panic threshold). */
  get available(): boolean {
    return this.#activeHealthy && !this.#ejected;
  }

  setActiveHealthy(healthy: boolean): void {
    if (this.#activeHealthy === healthy) return;
    this.#activeHealthy = healthy;
    this.backend.healthEpoch++;
  }

  setEjected(ejected: boolean, untilMs = 0): void {
    this.ejectedUntilMs = ejected ? untilMs : 0;
    if (this.#ejected === ejected) return;
    this.#ejected = ejected;
    this.backend.healthEpoch++;
  }
}
