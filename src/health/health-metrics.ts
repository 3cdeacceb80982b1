import { Counter, Gauge, type Registry } from 'prom-client';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';

/**
 * Health metrics, registered on the gateway's Prometheus registry. Per-endpoint gauges are read from the
 * endpoint state registry at scrape time, so the request path and the checkers only bump plain numbers.
 *
 * - `tidegate_endpoint_available{service,endpoint}` 1 when neither failing active checks nor ejected
 * - `tidegate_endpoint_ejected{service,endpoint}`, `tidegate_endpoint_in_flight{service,endpoint}`
 * - `tidegate_health_checks_total{service,result}` (`pass`, `fail`)
 * - `tidegate_outlier_ejections_total{service}`
 */
export class HealthMetrics {
  readonly #checks: Counter<'service' | 'result'>;
  readonly #ejections: Counter<'service'>;

  constructor(registry: Registry, state: EndpointStateRegistry) {
    const registers = [registry];
    const perEndpoint = (name: string, help: string, read: (gauge: Gauge<'service' | 'endpoint'>) => void) =>
      new Gauge<'service' | 'endpoint'>({
        name,
        help,
        labelNames: ['service', 'endpoint'],
        registers,
        collect() {
          this.reset();
          read(this);
        },
      });
    const each = (
      visit: (service: string, endpoint: string, value: number) => void,
      pick: (e: EndpointLike) => number,
    ) => {
      for (const name of state.backendNames()) {
        const backend = state.findBackend(name);
        if (backend === undefined) continue;
        for (const endpoint of backend.endpoints.values()) visit(name, endpoint.name, pick(endpoint));
      }
    };
    perEndpoint(
      'tidegate_endpoint_available',
      'Endpoint neither failing active checks nor ejected (1) or not (0).',
      (g) =>
        each(
          (service, endpoint, v) => g.set({ service, endpoint }, v),
          (e) => (e.available ? 1 : 0),
        ),
    );
    perEndpoint(
      'tidegate_endpoint_ejected',
      'Endpoint ejected by passive outlier detection (1) or not (0).',
      (g) =>
        each(
          (service, endpoint, v) => g.set({ service, endpoint }, v),
          (e) => (e.ejected ? 1 : 0),
        ),
    );
    perEndpoint('tidegate_endpoint_in_flight', 'Tries dispatched to the endpoint and not yet ended.', (g) =>
      each(
        (service, endpoint, v) => g.set({ service, endpoint }, v),
        (e) => e.inFlight,
      ),
    );
    this.#checks = new Counter({
      name: 'tidegate_health_checks_total',
      help: 'Active health checks by result.',
      labelNames: ['service', 'result'],
      registers,
    });
    this.#ejections = new Counter({
      name: 'tidegate_outlier_ejections_total',
      help: 'Endpoints ejected by passive outlier detection.',
      labelNames: ['service'],
      registers,
    });
  }

  checked(service: string, passed: boolean): void {
    this.#checks.inc({ service, result: passed ? 'pass' : 'fail' });
  }

  ejected(service: string): void {
    this.#ejections.inc({ service });
  }
}

interface EndpointLike {
  readonly available: boolean;
  readonly ejected: boolean;
  readonly inFlight: number;
}
