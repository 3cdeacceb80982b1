import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import type { Logger } from '../observability/logger.js';
import { EmbeddedStore } from './embedded-store.js';
import { ListAnswers } from './nacos/list-answers.js';
import { NacosAuth, type RegistryUser } from './nacos/nacos-auth.js';
import { NacosServer } from './nacos/nacos-server.js';
import { UdpPush } from './nacos/udp-push.js';
import type { LivenessTimeouts, RegistryStore } from './store.js';
import { TcpHealthChecker } from './tcp-health-checker.js';

/** What the registry needs from the static configuration (`registry:` in `tidegate.yaml`). */
export interface RegistrySettings {
  /** The Nacos API listener. */
  readonly host: string;
  readonly port: number;
  /** Which store keeps the content; `embedded` keeps persistent content in `dataDir`, `etcd` in etcd. */
  readonly store: 'embedded' | 'etcd';
  /** The etcd store's connection (`store: etcd`). */
  readonly etcd: {
    readonly endpoints: readonly string[];
    readonly prefix: string;
    readonly dialTimeout: number;
  };
  /** Undefined: `data/registry` under the working directory. */
  readonly dataDir: string | undefined;
  /** Namespaces besides `public` that clients may use. */
  readonly namespaces: readonly string[];
  readonly heartbeatTimeout: number;
  readonly deleteTimeout: number;
  readonly healthCheck: { readonly interval: number; readonly timeout: number };
  readonly auth: {
    readonly enabled: boolean;
    readonly users: readonly RegistryUser[];
    readonly tokenTtl: number;
    readonly tokenSecret: string | undefined;
  };
}

/** How often stores apply the liveness rule: often enough that expiry is late by at most a tenth of the timeout. */
export function livenessTimeouts(settings: RegistrySettings): LivenessTimeouts {
  return {
    heartbeatTimeoutMs: settings.heartbeatTimeout,
    deleteTimeoutMs: settings.deleteTimeout,
    sweepIntervalMs: Math.max(10, Math.min(1_000, Math.floor(settings.heartbeatTimeout / 10))),
  };
}

/**
 * Builds the configured store (not started). The etcd client (and gRPC beneath it, ~20 MiB) is loaded only when
 * the etcd store is configured.
 */
export async function createRegistryStore(settings: RegistrySettings, clock: Clock): Promise<RegistryStore> {
  if (settings.store === 'etcd') {
    const { EtcdStore } = await import('./etcd-store.js');
    return new EtcdStore({
      endpoints: settings.etcd.endpoints,
      prefix: settings.etcd.prefix,
      dialTimeoutMs: settings.etcd.dialTimeout,
      timeouts: livenessTimeouts(settings),
      now: () => clock.now(),
    });
  }
  return new EmbeddedStore({
    dataDir: resolve(settings.dataDir ?? 'data/registry'),
    timeouts: livenessTimeouts(settings),
    clock,
  });
}

/**
 * The registry as one runner: the store first (it loads persisted content), then the active health checker, the
 * UDP push and last the Nacos API listener, so that no request arrives before the content is there. Closed in
 * reverse order.
 */
export class RegistryRunner implements Runner {
  readonly name = 'registry';
  readonly store: RegistryStore;
  readonly #parts: readonly Runner[];
  readonly #server: NacosServer;
  readonly #started: Runner[] = [];

  constructor(
    settings: RegistrySettings,
    deps: { readonly store: RegistryStore; readonly clock: Clock; readonly logger: Logger },
  ) {
    this.store = deps.store;
    const logger = deps.logger;
    const answers = new ListAnswers(deps.store, deps.clock, livenessTimeouts(settings));
    const push = new UdpPush(
      { subscriberTtlMs: 10_000 },
      { store: deps.store, answers, clock: deps.clock, logger },
    );
    const auth = settings.auth.enabled
      ? new NacosAuth({
          users: settings.auth.users,
          tokenTtlMs: settings.auth.tokenTtl,
          tokenSecret: settings.auth.tokenSecret,
          clock: deps.clock,
        })
      : undefined;
    this.#server = new NacosServer(
      { host: settings.host, port: settings.port, namespaces: settings.namespaces },
      { store: deps.store, auth, answers, push, logger },
    );
    const checker = new TcpHealthChecker(
      { intervalMs: settings.healthCheck.interval, timeoutMs: settings.healthCheck.timeout },
      { store: deps.store, logger },
    );
    this.#parts = [deps.store, checker, push, this.#server];
  }

  /** The Nacos API's bound address; null before start. */
  address(): AddressInfo | null {
    return this.#server.address();
  }

  async start(signal: AbortSignal): Promise<void> {
    for (const part of this.#parts) {
      this.#started.push(part);
      await part.start(signal);
    }
  }

  async close(): Promise<void> {
    for (const part of this.#started.splice(0).reverse()) await part.close();
  }
}
