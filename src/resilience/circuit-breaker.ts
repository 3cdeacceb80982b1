import type { CircuitTrip } from '../ir/types.js';
import { RollingWindow } from './rolling-window.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Traefik-style circuit breaker of one backend, driven by a trip expression over a rolling 10 s window:
 * - closed: every request passes; each try is recorded, and at most once per `checkPeriodMs` (once the window
 *   holds `minRequests` tries) the expression is evaluated; true opens the breaker;
 * - open: requests are refused (503 `circuit-open`) for `fallbackMs`;
 * - half-open: one probe request at a time passes (Envoy-style recovery, deterministic where Traefik ramps traffic
 *   up linearly); `probes` consecutive successful probes close it with a fresh window, one failure opens it again.
 *   A probe fails on a network error or a 5xx answer.
 *
 * State survives table swaps (it lives in the backend's guard); time is injected (monotonic ms).
 */
export class CircuitBreaker {
  #trip: CircuitTrip | null = null;
  readonly #window = new RollingWindow();
  #state: CircuitState = 'closed';
  #openedAtMs = 0;
  #nextCheckMs = 0;
  #probeInFlight = false;
  #probeSuccesses = 0;
  /** Times the breaker opened, for views and tests. */
  opened = 0;

  /** Applies the backend's current policy; a breaker without expression is always closed. */
  configure(trip: CircuitTrip | null): void {
    if (trip === null || this.#trip === null || trip.source !== this.#trip.source) {
      this.#state = 'closed';
      this.#probeInFlight = false;
      this.#window.clear();
    }
    this.#trip = trip;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Whether a request may go to the backend now. Returns 1 for a normal request, 2 for the half-open probe
   * (report its outcome with `probe: true`), 0 when refused.
   */
  admit(nowMs: number): 0 | 1 | 2 {
    const trip = this.#trip;
    if (trip === null || this.#state === 'closed') return 1;
    if (this.#state === 'open') {
      if (nowMs - this.#openedAtMs < trip.fallbackMs) return 0;
      this.#state = 'half-open';
      this.#probeSuccesses = 0;
      this.#probeInFlight = false;
    }
    if (this.#probeInFlight) return 0;
    this.#probeInFlight = true;
    return 2;
  }

  /**
   * Records how a request's try ended: `status` of the response head, or 0 for a network error (connect failure,
   * reset, timeout); -1 when the try ended for a reason that says nothing about the backend (client gone,
   * overflow). `probe` is true for the request `admit` returned 2 for (its final outcome).
   */
  record(nowMs: number, status: number, latencyMs: number, probe: boolean): void {
    const trip = this.#trip;
    if (trip === null) return;
    if (probe) {
      this.#probeInFlight = false;
      if (this.#state !== 'half-open') return;
      if (status === -1) return;
      if (status === 0 || status >= 500) {
        this.#open(nowMs);
        return;
      }
      if (++this.#probeSuccesses >= trip.probes) {
        this.#state = 'closed';
        this.#window.clear();
        this.#nextCheckMs = nowMs + trip.checkPeriodMs;
      }
      return;
    }
    if (status === -1 || this.#state !== 'closed') return;
    if (status === 0) this.#window.recordNetworkError(nowMs);
    else this.#window.recordResponse(nowMs, status, latencyMs);
    if (nowMs < this.#nextCheckMs) return;
    this.#nextCheckMs = nowMs + trip.checkPeriodMs;
    if (this.#window.tries(nowMs) >= trip.minRequests && this.#window.evaluate(trip.expression, nowMs))
      this.#open(nowMs);
  }

  #open(nowMs: number): void {
    this.#state = 'open';
    this.#openedAtMs = nowMs;
    this.#probeInFlight = false;
    this.opened++;
  }
}
