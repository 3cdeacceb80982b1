import type { Clock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { IR } from '../ir/types.js';
import type { Logger } from '../observability/logger.js';
import { ActiveHealthChecker } from './active-checker.js';
import type { HealthMetrics } from './health-metrics.js';
import { OutlierDetector } from './outlier-detector.js';

/**
 * Active checks and passive outlier detection of one process, as one runner. The composition root calls
 * `update(ir)` after every table swap (the IR of the live table); both parts reconcile with it.
 */
export class HealthRunner implements Runner {
  readonly name = 'health';
  readonly checker: ActiveHealthChecker;
  readonly outliers: OutlierDetector;
  #started = false;
  #pending: IR | null = null;

  constructor(registry: EndpointStateRegistry, clock: Clock, logger: Logger, metrics: HealthMetrics | null) {
    this.checker = new ActiveHealthChecker(registry, logger, metrics);
    this.outliers = new OutlierDetector(registry, clock, logger, metrics);
  }

  async start(_signal: AbortSignal): Promise<void> {
    this.#started = true;
    this.outliers.start();
    if (this.#pending !== null) this.update(this.#pending);
    this.#pending = null;
  }

  /** Aligns checks and outlier policies with the IR now served. Before `start`, the latest IR is kept. */
  update(ir: IR): void {
    if (!this.#started) {
      this.#pending = ir;
      return;
    }
    this.outliers.update(ir);
    this.checker.reconcile(ir);
  }

  async close(): Promise<void> {
    this.#started = false;
    this.checker.close();
    this.outliers.close();
  }
}
