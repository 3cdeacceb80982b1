import type { Clock } from '../core/clock.js';
import type { EndpointState } from '../endpoints/endpoint-state.js';
import type { EndpointStateRegistry, OutcomeObserver } from '../endpoints/endpoint-state-registry.js';
import type { IR, OutlierDetection } from '../ir/types.js';
import type { Logger } from '../observability/logger.js';
import type { HealthMetrics } from './health-metrics.js';

/**
 * Passive outlier detection with Envoy's semantics (`outlier_detection`): `consecutive_5xx` failures (5xx answers
 * and gateway failures) or `consecutive_gateway_failure` failures (connect, reset, timeout) eject an endpoint for
 * base time × the number of times it was ejected (capped by the maximum), unless `max_ejection_percent` of the
 * backend's endpoints are ejected already (one may always be, as in Envoy). The endpoint comes back when its time
 * is up; one timer per ejection, which are rare.
 *
 * Counters are kept by `EndpointStateRegistry.ended` on the request path; this observer only sees failures.
 * Policies are per backend and follow the live IR (`update`), without touching the tables.
 */
export class OutlierDetector implements OutcomeObserver {
  readonly #registry: EndpointStateRegistry;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: HealthMetrics | null;
  #policies = new Map<string, OutlierDetection>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(registry: EndpointStateRegistry, clock: Clock, logger: Logger, metrics: HealthMetrics | null) {
    this.#registry = registry;
    this.#clock = clock;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /** Starts observing the registry's outcomes. */
  start(): void {
    this.#registry.observe(this);
  }

  /** Takes the outlier policies of the IR now being served. */
  update(ir: IR): void {
    const policies = new Map<string, OutlierDetection>();
    for (const backend of ir.backends) {
      const outlier = backend.health?.outlier;
      if (outlier !== undefined && outlier !== null) policies.set(backend.name, outlier);
    }
    this.#policies = policies;
  }

  onFailure(endpoint: EndpointState): void {
    if (endpoint.ejected) return;
    const policy = this.#policies.get(endpoint.backend.name);
    if (policy === undefined) return;
    const tripped =
      (policy.consecutive5xx > 0 && endpoint.consecutive5xx >= policy.consecutive5xx) ||
      (policy.consecutiveGatewayFailure > 0 &&
        endpoint.consecutiveGatewayFailures >= policy.consecutiveGatewayFailure);
    if (!tripped) return;
    const peers = endpoint.backend.endpoints;
    let ejected = 0;
    for (const peer of peers.values()) if (peer.ejected) ejected++;
    const allowed = Math.max(1, Math.floor((peers.size * policy.maxEjectionPercent) / 100));
    if (ejected >= allowed) return;
    endpoint.ejectionCount++;
    const duration = Math.min(policy.maxEjectionMs, policy.baseEjectionMs * endpoint.ejectionCount);
    endpoint.consecutive5xx = 0;
    endpoint.consecutiveGatewayFailures = 0;
    endpoint.setEjected(true, this.#clock.now() + duration);
    this.#metrics?.ejected(endpoint.backend.name);
    this.#logger.warn(
      { endpoint: endpoint.name, ejections: endpoint.ejectionCount, ms: duration },
      'endpoint ejected by outlier detection',
    );
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      endpoint.setEjected(false);
      this.#logger.info({ endpoint: endpoint.name }, 'ejected endpoint returns');
    }, duration);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Stops observing and cancels pending returns (the process is stopping). */
  close(): void {
    this.#registry.observe(null);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
