import { X509Certificate } from 'node:crypto';
import type {
  Certificate,
  Condition,
  Endpoint,
  IrSource,
  ObjectStatus,
  PathMatch,
  RoutePolicy,
} from '../ir/types.js';
import type { RuntimeEndpoint, RuntimeTable } from '../runtime/table.js';
import { type BackendResilienceView, backendResilienceView } from './backend-resilience-view.js';

/** Process facts the admin API shows next to the snapshot; supplied by the composition root. */
export interface AdminInfo {
  readonly entryPoints: readonly {
    readonly name: string;
    readonly address: string;
    readonly protocol: string;
  }[];
  readonly providers: readonly string[];
  /** Wall-clock milliseconds. */
  readonly startedAt: number;
  /** The last reload attempt; null before the first one finished. */
  readonly lastReload: {
    readonly atMs: number;
    readonly ok: boolean;
    readonly error?: string | undefined;
  } | null;
}

/** `GET /api/v1/snapshot`: what the data plane serves right now. Built from explicit fields, never by spreading. */
export interface SnapshotView {
  readonly version: number;
  /** When this view was built (ISO 8601). */
  readonly generatedAt: string;
  readonly startedAt: string;
  readonly providers: readonly string[];
  readonly lastReload: {
    readonly at: string;
    readonly ok: boolean;
    readonly error?: string | undefined;
  } | null;
  readonly entryPoints: AdminInfo['entryPoints'];
  readonly virtualHosts: readonly VirtualHostView[];
  readonly backends: readonly BackendView[];
  readonly certificates: readonly CertificateView[];
  /** Objects with a False condition or with warnings. */
  readonly rejected: readonly RejectedView[];
}

export interface VirtualHostView {
  readonly hostname: string;
  readonly routes: readonly RouteView[];
}

export interface RouteView {
  readonly name: string;
  readonly source: IrSource;
  readonly match: PathMatch;
  /** Set when the route forwards. */
  readonly backend?: string;
  /** Set when the route's target is broken. */
  readonly invalid?: { readonly reason: string; readonly message: string; readonly status: number };
  readonly policy: RoutePolicy;
}

export interface BackendView {
  readonly name: string;
  readonly kind: 'service' | 'external-name';
  readonly source: IrSource;
  readonly endpoints: readonly EndpointView[];
  /** Circuit breaker, retry budget and overflow counters; null when the live table does not hold the backend. */
  readonly resilience: BackendResilienceView | null;
}

export interface EndpointView {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly weight: number;
  /** Long-lived state of the endpoint; null before a table bound it (the IR's view). */
  readonly health: EndpointHealthView | null;
}

/** What active checks, passive outlier detection and the balancer know about an endpoint right now. */
export interface EndpointHealthView {
  /** Neither failing active checks nor ejected. */
  readonly available: boolean;
  readonly lastCheck: 'unknown' | 'pass' | 'fail';
  readonly ejected: boolean;
  /** ISO 8601 end of the current ejection, or null. */
  readonly ejectedUntil: string | null;
  readonly ejectionCount: number;
  readonly inFlight: number;
  /** Peak EWMA of the try latency, ms (0 before the first try). */
  readonly ewmaMs: number;
  readonly tries: number;
  readonly failures: number;
}

/** Certificate metadata only: the PEM material (and above all the private key) never leaves the process. */
export interface CertificateView {
  readonly name: string;
  readonly source: IrSource;
  readonly hosts: readonly string[];
  readonly notBefore: string | null;
  readonly notAfter: string | null;
  readonly issuer: string | null;
  readonly subject: string | null;
  readonly fingerprint256: string | null;
  /** Set when the certificate could not be parsed. */
  readonly error?: string;
}

export interface RejectedView {
  readonly ref: IrSource;
  readonly origin: ObjectStatus['origin'] | null;
  readonly conditions: readonly Condition[];
  readonly warnings: readonly string[];
}

export function buildSnapshotView(table: RuntimeTable, info: AdminInfo, nowMs: number): SnapshotView {
  const { ir } = table;
  return {
    version: table.version,
    generatedAt: new Date(nowMs).toISOString(),
    startedAt: new Date(info.startedAt).toISOString(),
    providers: info.providers,
    lastReload: info.lastReload
      ? {
          at: new Date(info.lastReload.atMs).toISOString(),
          ok: info.lastReload.ok,
          ...(info.lastReload.error === undefined ? {} : { error: info.lastReload.error }),
        }
      : null,
    entryPoints: info.entryPoints.map((e) => ({ name: e.name, address: e.address, protocol: e.protocol })),
    virtualHosts: ir.virtualHosts.map((vhost) => ({
      hostname: vhost.hostname,
      routes: vhost.routes.map((route): RouteView => {
        const common = {
          name: route.name,
          source: sourceView(route.source),
          match: route.match,
          policy: policyView(route.policy),
        };
        const action = route.action;
        return action.type === 'forward'
          ? { ...common, backend: action.backend }
          : { ...common, invalid: { reason: action.reason, message: action.message, status: action.status } };
      }),
    })),
    // Endpoints from the runtime table, which the endpoint fast path keeps current; the rest from the IR.
    backends: ir.backends.map((backend) => ({
      name: backend.name,
      kind: backend.kind,
      source: sourceView(backend.source),
      endpoints: (table.backends.get(backend.name)?.endpoints ?? backend.endpoints).map(endpointView),
      resilience: backendResilienceView(table.backends.get(backend.name)),
    })),
    certificates: ir.certificates.map(certificateView),
    rejected: table.statuses
      .filter((s) => s.warnings.length > 0 || s.conditions.some((c) => c.status === 'False'))
      .map((s) => ({
        ref: sourceView(s.ref),
        origin: s.origin ?? null,
        conditions: s.conditions,
        warnings: s.warnings,
      })),
  };
}

function sourceView(source: IrSource): IrSource {
  return { kind: source.kind, namespace: source.namespace, name: source.name };
}

/** Field by field, so that a policy field added later (credentials of an auth filter, say) is not shown unseen. */
function policyView(policy: RoutePolicy): RoutePolicy {
  return {
    rewrite: policy.rewrite,
    httpsRedirect: policy.httpsRedirect,
    maxBodyBytes: policy.maxBodyBytes,
    timeouts: policy.timeouts,
    upstreamProtocol: policy.upstreamProtocol,
  };
}

function endpointView(endpoint: RuntimeEndpoint | Endpoint): EndpointView {
  const state = 'state' in endpoint ? endpoint.state : null;
  return {
    name: endpoint.name,
    address: endpoint.address,
    port: endpoint.port,
    ready: endpoint.ready,
    serving: endpoint.serving,
    terminating: endpoint.terminating,
    weight: endpoint.weight,
    health:
      state === null
        ? null
        : {
            available: state.available,
            lastCheck: state.lastCheck,
            ejected: state.ejected,
            ejectedUntil: state.ejectedUntilMs > 0 ? new Date(state.ejectedUntilMs).toISOString() : null,
            ejectionCount: state.ejectionCount,
            inFlight: state.inFlight,
            ewmaMs: Math.round(state.ewmaMs * 1000) / 1000,
            tries: state.tries,
            failures: state.failures,
          },
  };
}

function certificateView(certificate: Certificate): CertificateView {
  const base = { name: certificate.name, source: sourceView(certificate.source), hosts: certificate.hosts };
  try {
    // The first certificate of the PEM is the leaf; a chain may follow.
    const x509 = new X509Certificate(certificate.certPem);
    return {
      ...base,
      notBefore: new Date(x509.validFrom).toISOString(),
      notAfter: new Date(x509.validTo).toISOString(),
      issuer: x509.issuer,
      subject: x509.subject,
      fingerprint256: x509.fingerprint256,
    };
  } catch {
    return {
      ...base,
      notBefore: null,
      notAfter: null,
      issuer: null,
      subject: null,
      fingerprint256: null,
      error: 'the certificate PEM could not be parsed',
    };
  }
}
