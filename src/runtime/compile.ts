import { createPicker, type Picker } from '../balancer/picker.js';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type {
  Backend,
  Certificate,
  IR,
  ObjectStatus,
  Route,
  RouteTimeouts,
  VirtualHost,
} from '../ir/types.js';
import { HostTable } from '../router/host-table.js';
import { compilePathMatch } from '../router/path-match.js';
import { type PathRouteEntry, PathRouter } from '../router/path-router.js';
import { PathRewriter } from './path-rewrite.js';
import type { PickRequest, RuntimeBackend, RuntimeEndpoint, RuntimeRoute, RuntimeTable } from './table.js';

export interface CompileOptions {
  /** Snapshot number of the table, 1 for the first. */
  readonly version: number;
  /**
   * Long-lived state shared by every table of the process; pickers acquire their backend's state from it. The
   * caller drops state of removed names with `state.retain(...)` after swapping in the new table.
   */
  readonly state: EndpointStateRegistry;
}

type RouteInvalid = RuntimeRoute['invalid'];

/**
 * Compiles an IR snapshot into the request-path table: host tables, per-host path routers, rewrites with their
 * regular expressions compiled once, and backends bound to their pickers. Synchronous, no I/O, never mutates the
 * IR. Translation validates user input, so compile does not throw on it; should a pattern still not compile, the
 * damage stays local: a match pattern makes its route unreachable, a rewrite pattern makes its route answer 500.
 */
export function compile(ir: IR, statuses: readonly ObjectStatus[], options: CompileOptions): RuntimeTable {
  const backends = new Map<string, RuntimeBackend>();
  for (const backend of ir.backends) {
    if (!backends.has(backend.name)) backends.set(backend.name, compileBackend(backend, options.state));
  }
  const hosts = new HostTable<PathRouter<RuntimeRoute>>(
    ir.virtualHosts.map((vhost) => [vhost.hostname, compileVirtualHost(vhost, backends)] as const),
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
  readonly #picker: Picker;

  constructor(backend: Backend, endpoints: readonly RuntimeEndpoint[], picker: Picker) {
    this.name = backend.name;
    this.kind = backend.kind;
    this.endpoints = endpoints;
    this.#picker = picker;
  }

  pick(request: PickRequest): RuntimeEndpoint | null {
    return this.#picker.pick(request);
  }
}

function compileBackend(backend: Backend, state: EndpointStateRegistry): RuntimeBackend {
  const endpoints: RuntimeEndpoint[] = backend.endpoints.map((endpoint) => ({
    name: endpoint.name,
    address: endpoint.address,
    port: endpoint.port,
    ready: endpoint.ready,
    serving: endpoint.serving,
    terminating: endpoint.terminating,
    weight: endpoint.weight,
  }));
  const picker = createPicker(backend.loadBalancer, { backend: backend.name, endpoints, state });
  return new CompiledBackend(backend, endpoints, picker);
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
  readonly #rewriter: PathRewriter | null;

  constructor(
    route: Route,
    backend: RuntimeBackend | null,
    invalid: RouteInvalid,
    rewriter: PathRewriter | null,
  ) {
    this.name = route.name;
    this.ir = route;
    this.backend = invalid === null ? backend : null;
    this.invalid = invalid;
    this.httpsRedirect = route.policy.httpsRedirect;
    this.maxBodyBytes = route.policy.maxBodyBytes ?? -1;
    this.timeouts = route.policy.timeouts;
    this.upstreamProtocol = route.policy.upstreamProtocol;
    this.#rewriter = rewriter;
  }

  rewrite(target: string, path: string): string {
    return this.#rewriter === null ? target : this.#rewriter.apply(target, path);
  }
}

function compileVirtualHost(
  vhost: VirtualHost,
  backends: ReadonlyMap<string, RuntimeBackend>,
): PathRouter<RuntimeRoute> {
  const entries: PathRouteEntry<RuntimeRoute>[] = [];
  for (const route of vhost.routes) {
    let match: PathRouteEntry<RuntimeRoute>['match'];
    try {
      match = compilePathMatch(route.match);
    } catch {
      continue;
    }
    entries.push({ match, value: compileRoute(route, backends) });
  }
  return new PathRouter(entries);
}

function compileRoute(route: Route, backends: ReadonlyMap<string, RuntimeBackend>): RuntimeRoute {
  let invalid: RouteInvalid = null;
  let backend: RuntimeBackend | null = null;
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
  return new CompiledRoute(route, backend, invalid, rewriter);
}
