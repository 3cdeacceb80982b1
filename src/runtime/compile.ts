import { BackendBalancer } from '../balancer/backend-balancer.js';
import type { EndpointOutcome, EndpointState } from '../endpoints/endpoint-state.js';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import { DEFAULT_HEALTH_POLICY } from '../ir/health-defaults.js';
import { DEFAULT_CIRCUIT_BREAKER } from '../ir/resilience-defaults.js';
import type {
  Backend,
  Certificate,
  IR,
  ObjectStatus,
  Route,
  RouteTimeouts,
  VirtualHost,
} from '../ir/types.js';
import type { BackendGuard } from '../resilience/backend-guard.js';
import { CanarySplit } from '../resilience/canary-split.js';
import { ResilienceRegistry } from '../resilience/resilience-registry.js';
import { HostTable } from '../router/host-table.js';
import { compilePathMatch } from '../router/path-match.js';
import { type PathRouteEntry, PathRouter } from '../router/path-router.js';
import { PathRewriter } from './path-rewrite.js';
import type {
  PickRequest,
  RuntimeBackend,
  RuntimeCanary,
  RuntimeEndpoint,
  RuntimeRoute,
  RuntimeTable,
} from './table.js';

export interface CompileOptions {
  /** Snapshot number of the table, 1 for the first. */
  readonly version: number;
  /**
   * Long-lived state shared by every table of the process; pickers acquire their backend's state from it. The
   * caller drops state of removed names with `state.retain(...)` after swapping in the new table.
   */
  readonly state: EndpointStateRegistry;
  /**
   * Backend guards and canary positions that survive swaps (`resilience.retain(...)` after the swap, like
   * `state`); absent, the table gets fresh ones (tools and tests).
   */
  readonly resilience?: ResilienceRegistry | undefined;
}

type RouteInvalid = RuntimeRoute['invalid'];

/**
 * Compiles an IR snapshot into the request-path table: host tables, per-host path routers, rewrites with their
 * regular expressions compiled once, and backends bound to their pickers. Synchronous, no I/O, never mutates the
 * IR. Translation validates user input, so compile does not throw on it; should a pattern still not compile, the
 * damage stays local: a match pattern makes its route unreachable, a rewrite pattern makes its route answer 500.
 */
export function compile(ir: IR, statuses: readonly ObjectStatus[], options: CompileOptions): RuntimeTable {
  const resilience = options.resilience ?? new ResilienceRegistry();
  const backends = new Map<string, RuntimeBackend>();
  for (const backend of ir.backends) {
    if (!backends.has(backend.name))
      backends.set(backend.name, compileBackend(backend, options.state, guardFor(backend, resilience)));
  }
  const hosts = new HostTable<PathRouter<RuntimeRoute>>(
    ir.virtualHosts.map(
      (vhost) => [vhost.hostname, compileVirtualHost(vhost, backends, resilience)] as const,
    ),
  );
  // IR certificates are sorted by name; sorting a copy keeps "first by name wins" independent of that promise.
  const certificates = [...ir.certificates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sni = new HostTable<Certificate>(
    certificates.flatMap((certificate) =>
      // `*` is not a server name a ClientHello can carry; the caller's default certificate covers the rest.
      certificate.hosts.filter((host) => host !== '*').map((host) => [host, certificate] as const),
    ),
  );
  return new CompiledTable(options.version, ir, statuses, hosts, sni, backends);
}

class CompiledTable implements RuntimeTable {
  readonly version: number;
  readonly ir: IR;
  readonly statuses: readonly ObjectStatus[];
  readonly backends: ReadonlyMap<string, RuntimeBackend>;
  readonly #hosts: HostTable<PathRouter<RuntimeRoute>>;
  readonly #sni: HostTable<Certificate>;

  constructor(
    version: number,
    ir: IR,
    statuses: readonly ObjectStatus[],
    hosts: HostTable<PathRouter<RuntimeRoute>>,
    sni: HostTable<Certificate>,
    backends: ReadonlyMap<string, RuntimeBackend>,
  ) {
    this.version = version;
    this.ir = ir;
    this.statuses = statuses;
    this.backends = backends;
    this.#hosts = hosts;
    this.#sni = sni;
  }

  match(host: string, path: string): RuntimeRoute | null {
    const router = this.#hosts.lookup(host);
    return router === null ? null : router.match(path);
  }

  certificateFor(serverName: string): Certificate | null {
    // DNS names are case-insensitive (RFC 4343) and clients may send SNI in any case; once per handshake.
    return this.#sni.lookup(serverName.toLowerCase());
  }
}

class CompiledBackend implements RuntimeBackend {
  readonly name: string;
  readonly kind: 'service' | 'external-name';
  readonly endpoints: readonly RuntimeEndpoint[];
  readonly guard: BackendGuard;
  readonly #balancer: BackendBalancer;
  readonly #state: EndpointStateRegistry;

  constructor(
    backend: Backend,
    endpoints: readonly RuntimeEndpoint[],
    balancer: BackendBalancer,
    state: EndpointStateRegistry,
    guard: BackendGuard,
  ) {
    this.name = backend.name;
    this.kind = backend.kind;
    this.endpoints = endpoints;
    this.guard = guard;
    this.#balancer = balancer;
    this.#state = state;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null = null): RuntimeEndpoint | null {
    return this.#balancer.pick(request, avoid);
  }

  onStart(endpoint: RuntimeEndpoint): void {
    this.#state.started(endpoint.state);
  }

  onEnd(endpoint: RuntimeEndpoint, outcome: EndpointOutcome, latencyMs: number): void {
    this.#state.ended(endpoint.state, outcome, latencyMs);
  }

  affinityCookie(request: PickRequest, endpoint: RuntimeEndpoint): string | null {
    return this.#balancer.affinityCookie(request, endpoint);
  }
}

/** The backend's long-lived guard, set to the policy of this IR. */
function guardFor(backend: Backend, resilience: ResilienceRegistry): BackendGuard {
  const guard = resilience.backend(backend.name);
  guard.configure(backend.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER);
  return guard;
}

function compileBackend(backend: Backend, state: EndpointStateRegistry, guard: BackendGuard): RuntimeBackend {
  const states = state.bindEndpoints(
    backend.name,
    backend.endpoints.map((endpoint) => endpoint.name),
  );
  const endpoints: RuntimeEndpoint[] = backend.endpoints.map((endpoint, index) => ({
    name: endpoint.name,
    address: endpoint.address,
    port: endpoint.port,
    ready: endpoint.ready,
    serving: endpoint.serving,
    terminating: endpoint.terminating,
    weight: endpoint.weight,
    state: states[index] as EndpointState,
  }));
  const balancer = new BackendBalancer({
    backend: backend.name,
    endpoints,
    policy: backend.loadBalancer,
    affinity: backend.affinity ?? null,
    panicThresholdPercent: (backend.health ?? DEFAULT_HEALTH_POLICY).panicThresholdPercent,
    registry: state,
  });
  return new CompiledBackend(backend, endpoints, balancer, state, guard);
}

class CompiledRoute implements RuntimeRoute {
  readonly name: string;
  readonly ir: Route;
  readonly backend: RuntimeBackend | null;
  readonly invalid: RouteInvalid;
  readonly httpsRedirect: { readonly status: number; readonly port: number | null } | null;
  readonly maxBodyBytes: number;
  readonly timeouts: RouteTimeouts;
  readonly upstreamProtocol: 'http' | 'https';
  readonly canary: RuntimeCanary | null;
  readonly #rewriter: PathRewriter | null;

  constructor(
    route: Route,
    backend: RuntimeBackend | null,
    invalid: RouteInvalid,
    rewriter: PathRewriter | null,
    canary: RuntimeCanary | null,
  ) {
    this.name = route.name;
    this.ir = route;
    this.backend = invalid === null ? backend : null;
    this.invalid = invalid;
    this.httpsRedirect = route.policy.httpsRedirect;
    this.maxBodyBytes = route.policy.maxBodyBytes ?? -1;
    this.timeouts = route.policy.timeouts;
    this.upstreamProtocol = route.policy.upstreamProtocol;
    this.canary = invalid === null ? canary : null;
    this.#rewriter = rewriter;
  }

  rewrite(target: string, path: string): string {
    return this.#rewriter === null ? target : this.#rewriter.apply(target, path);
  }
}

function compileVirtualHost(
  vhost: VirtualHost,
  backends: ReadonlyMap<string, RuntimeBackend>,
  resilience: ResilienceRegistry,
): PathRouter<RuntimeRoute> {
  const entries: PathRouteEntry<RuntimeRoute>[] = [];
  for (const route of vhost.routes) {
    let match: PathRouteEntry<RuntimeRoute>['match'];
    try {
      match = compilePathMatch(route.match);
    } catch {
      continue;
    }
    entries.push({ match, value: compileRoute(route, backends, resilience) });
  }
  return new PathRouter(entries);
}

function compileRoute(
  route: Route,
  backends: ReadonlyMap<string, RuntimeBackend>,
  resilience: ResilienceRegistry,
): RuntimeRoute {
  let invalid: RouteInvalid = null;
  let backend: RuntimeBackend | null = null;
  let canary: RuntimeCanary | null = null;
  const action = route.action;
  switch (action.type) {
    case 'invalid':
      invalid = { status: action.status, reason: action.reason, message: action.message };
      break;
    case 'forward':
      backend = backends.get(action.backend) ?? null;
      if (backend === null) {
        invalid = {
          status: 500,
          reason: 'BackendNotFound',
          message: `backend ${action.backend} is not in the IR`,
        };
      }
      if (action.canary) {
        // A canary whose backend is missing leaves the main route serving everything.
        const canaryBackend = backends.get(action.canary.backend);
        if (canaryBackend !== undefined)
          canary = {
            backend: canaryBackend,
            split: new CanarySplit(action.canary, resilience.canary(route.name)),
          };
      }
      break;
  }
  let rewriter: PathRewriter | null = null;
  const rewrite = route.policy.rewrite;
  if (rewrite !== null) {
    try {
      rewriter = new PathRewriter(rewrite);
    } catch (error) {
      invalid ??= {
        status: 500,
        reason: 'InvalidRewrite',
        message: `rewrite pattern ${JSON.stringify(rewrite.pattern)} does not compile: ${(error as Error).message}`,
      };
    }
  }
  return new CompiledRoute(route, backend, invalid, rewriter, canary);
}
