import { connect } from 'node:net';
import type { Runner } from '../core/lifecycle.js';
import type { Logger } from '../observability/logger.js';
import type { RegistryStore } from './store.js';

export interface TcpHealthCheckOptions {
  /** Pause between two rounds over every persistent instance (Nacos' TCP checker runs every 2–5 s). */
  readonly intervalMs: number;
  /** A connection not established within this is a failure. */
  readonly timeoutMs: number;
}

/** At most this many probes at once, so a registry with thousands of persistent instances does not burst sockets. */
const CONCURRENCY = 64;

/**
 * Active health checks of persistent instances, as Nacos' `TcpSuperSenseProcessor`: a TCP connect to `ip:port`
 * each round, healthy when it is accepted, the result written to the store with `setHealthy`. Deliberately minimal
 * and local to the registry (the gateway's endpoint health module, with HTTP checks and thresholds, is separate);
 * ephemeral instances are not probed, their heartbeats decide.
 */
export class TcpHealthChecker implements Runner {
  readonly name = 'registry-health-checker';
  readonly #options: TcpHealthCheckOptions;
  readonly #store: RegistryStore;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    options: TcpHealthCheckOptions,
    deps: { readonly store: RegistryStore; readonly logger: Logger },
  ) {
    this.#options = options;
    this.#store = deps.store;
    this.#logger = deps.logger;
  }

  async start(_signal: AbortSignal): Promise<void> {
    this.#closed = false;
    this.#next(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  #next(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#round = this.#checkAll()
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'registry health check round failed'))
        .finally(() => this.#next(this.#options.intervalMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #checkAll(): Promise<void> {
    const targets = this.#store
      .snapshot()
      .services.flatMap((entry) =>
        entry.instances.filter((i) => !i.ephemeral).map((instance) => ({ ref: entry.service, instance })),
      );
    let index = 0;
    const worker = async (): Promise<void> => {
      while (index < targets.length && !this.#closed) {
        const target = targets[index++];
        if (!target) break;
        const healthy = await probe(target.instance.ip, target.instance.port, this.#options.timeoutMs);
        if (healthy !== target.instance.healthy) {
          this.#logger.info(
            { service: target.ref.service, ip: target.instance.ip, port: target.instance.port, healthy },
            'registry instance health changed',
          );
        }
        await this.#store.setHealthy(target.ref, target.instance, healthy);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  }
}

/** True when a TCP connection to `ip:port` is accepted within `timeoutMs`. */
function probe(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    const done = (healthy: boolean): void => {
      socket.destroy();
      resolve(healthy);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
