import { request } from 'node:http';
import { connect } from 'node:net';
import type { EndpointState } from '../endpoints/endpoint-state.js';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { ActiveHealthCheck, IR } from '../ir/types.js';
import type { Logger } from '../observability/logger.js';
import type { HealthMetrics } from './health-metrics.js';

/** One endpoint's checks: its own timer, consecutive counters, and the state it writes to. */
class Probe {
  readonly endpoint: string;
  readonly backend: string;
  readonly address: string;
  readonly port: number;
  policy: ActiveHealthCheck;
  /** Key of `policy`, to tell a changed policy from an unchanged one on reconcile. */
  policyKey: string;
  state: EndpointState;
  passes = 0;
  fails = 0;
  timer: NodeJS.Timeout | null = null;
  stopped = false;

  constructor(
    endpoint: string,
    backend: string,
    address: string,
    port: number,
    policy: ActiveHealthCheck,
    state: EndpointState,
  ) {
    this.endpoint = endpoint;
    this.backend = backend;
    this.address = address;
    this.port = port;
    this.policy = policy;
    this.policyKey = JSON.stringify(policy);
    this.state = state;
  }
}

interface Desired {
  readonly backend: string;
  readonly address: string;
  readonly port: number;
  readonly policy: ActiveHealthCheck;
  readonly state: EndpointState;
}

/**
 * Active health checks (`tidegate.io/health-check-*`): per endpoint of every backend with a check policy, an HTTP
 * GET of the path (healthy when the status is in the expected range) or a TCP connect, every interval plus a
 * random jitter so that checks of many endpoints and replicas do not line up. `unhealthyThreshold` consecutive
 * failures mark the endpoint unavailable; `healthyThreshold` consecutive passes bring it back. Endpoints start
 * available: they passed Kubernetes readiness already, and marking them down until a first check would turn
 * every reload into an outage.
 *
 * Reconciled on every table swap (`reconcile`): probes are added for new endpoints, removed for gone ones and
 * updated in place for changed policies, never relaunched wholesale, so counters and rhythm survive reloads.
 */
export class ActiveHealthChecker {
  readonly #registry: EndpointStateRegistry;
  readonly #logger: Logger;
  readonly #metrics: HealthMetrics | null;
  readonly #random: () => number;
  readonly #probes = new Map<string, Probe>();

  constructor(
    registry: EndpointStateRegistry,
    logger: Logger,
    metrics: HealthMetrics | null,
    random: () => number = Math.random,
  ) {
    this.#registry = registry;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#random = random;
  }

  /** Number of endpoints being checked. */
  get size(): number {
    return this.#probes.size;
  }

  /** Aligns the probes with the IR now being served (after compile bound the endpoint states). */
  reconcile(ir: IR): void {
    const desired = new Map<string, Desired>();
    for (const backend of ir.backends) {
      const policy = backend.health?.active;
      if (policy === undefined || policy === null) continue;
      const states = this.#registry.findBackend(backend.name)?.endpoints;
      for (const endpoint of backend.endpoints) {
        const state = states?.get(endpoint.name);
        if (state === undefined) continue;
        desired.set(endpoint.name, {
          backend: backend.name,
          address: endpoint.address,
          port: endpoint.port,
          policy,
          state,
        });
      }
    }
    for (const [name, probe] of this.#probes) {
      if (desired.has(name)) continue;
      this.#stop(probe);
      // Checks are off for it now: whatever they concluded no longer holds.
      probe.state.setActiveHealthy(true);
      probe.state.lastCheck = 'unknown';
      this.#probes.delete(name);
    }
    for (const [name, want] of desired) {
      const probe = this.#probes.get(name);
      if (probe === undefined) {
        const added = new Probe(name, want.backend, want.address, want.port, want.policy, want.state);
        this.#probes.set(name, added);
        // The first check soon, spread over up to one second so that a large backend does not burst.
        this.#schedule(added, this.#random() * Math.min(1000, want.policy.intervalMs));
        continue;
      }
      if (probe.state !== want.state) {
        // The backend was dropped and re-added: its state object is new, carry the verdict over.
        want.state.setActiveHealthy(probe.state.activeHealthy);
        want.state.lastCheck = probe.state.lastCheck;
        probe.state = want.state;
      }
      const key = JSON.stringify(want.policy);
      if (key !== probe.policyKey) {
        probe.policy = want.policy;
        probe.policyKey = key;
      }
    }
  }

  /** Stops every probe. */
  close(): void {
    for (const probe of this.#probes.values()) this.#stop(probe);
    this.#probes.clear();
  }

  #stop(probe: Probe): void {
    probe.stopped = true;
    if (probe.timer !== null) clearTimeout(probe.timer);
    probe.timer = null;
  }

  #schedule(probe: Probe, delayMs: number): void {
    if (probe.stopped) return;
    probe.timer = setTimeout(() => {
      probe.timer = null;
      this.#check(probe);
    }, delayMs);
    probe.timer.unref();
  }

  #check(probe: Probe): void {
    const policy = probe.policy;
    let done = false;
    const finish = (passed: boolean, detail: string): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      this.#record(probe, passed, detail);
      const jitter = (this.#random() * policy.intervalMs * policy.jitterPercent) / 100;
      this.#schedule(probe, policy.intervalMs + jitter);
    };
    let cancel: () => void = () => {};
    const deadline = setTimeout(() => {
      cancel();
      finish(false, `no answer within ${policy.timeoutMs}ms`);
    }, policy.timeoutMs);
    deadline.unref();
    if (policy.type === 'tcp') {
      const socket = connect({ host: probe.address, port: probe.port });
      cancel = () => socket.destroy();
      socket.once('connect', () => {
        socket.destroy();
        finish(true, 'connected');
      });
      socket.once('error', (error) => finish(false, error.message));
      return;
    }
    const req = request(
      {
        host: probe.address,
        port: probe.port,
        path: policy.path,
        method: 'GET',
        agent: false,
        headers: { 'user-agent': 'tidegate-health-check', connection: 'close' },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        finish(status >= policy.statusMin && status <= policy.statusMax, `status ${status}`);
      },
    );
    cancel = () => req.destroy();
    req.once('error', (error) => finish(false, error.message));
    req.end();
  }

  #record(probe: Probe, passed: boolean, detail: string): void {
    if (probe.stopped) return;
    const state = probe.state;
    const policy = probe.policy;
    state.lastCheck = passed ? 'pass' : 'fail';
    this.#metrics?.checked(probe.backend, passed);
    if (passed) {
      probe.passes++;
      probe.fails = 0;
      if (!state.activeHealthy && probe.passes >= policy.healthyThreshold) {
        state.setActiveHealthy(true);
        this.#logger.info({ endpoint: probe.endpoint }, 'endpoint healthy again (active check)');
      }
    } else {
      probe.fails++;
      probe.passes = 0;
      if (state.activeHealthy && probe.fails >= policy.unhealthyThreshold) {
        state.setActiveHealthy(false);
        this.#logger.warn({ endpoint: probe.endpoint, detail }, 'endpoint unhealthy (active check)');
      }
    }
  }
}
