import type { IR } from '../ir/types.js';
import type {
  BackendView,
  CertificateView,
  EndpointView,
  RouteView,
  SnapshotView,
  VirtualHostView,
} from './snapshot-view.js';

/** Certificates closer than this to `notAfter` are flagged `expiring` (Let's Encrypt renews at 30 days left). */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** `GET /api/v1/overview`: what the dashboard's first page shows. */
export interface OverviewView {
  readonly version: number;
  readonly generatedAt: string;
  readonly startedAt: string;
  readonly providers: readonly string[];
  readonly lastReload: SnapshotView['lastReload'];
  readonly entryPoints: SnapshotView['entryPoints'];
  readonly counts: {
    readonly virtualHosts: number;
    readonly routers: number;
    readonly services: number;
    readonly endpoints: number;
    readonly endpointsReady: number;
    readonly certificates: number;
    readonly certificatesExpiring: number;
    readonly rejected: number;
    /** Services whose trip breaker is open or half-open. */
    readonly circuitsOpen: number;
  };
}

/** `GET /api/v1/routers`: one row per route, host first. */
export interface RouterView extends RouteView {
  readonly host: string;
}

/** `GET /api/v1/services`: a backend with its endpoint counts. */
export interface ServiceView extends BackendView {
  readonly ready: number;
  /** Ready and available (not failing active checks, not ejected). */
  readonly available: number;
  /** Routes that forward here. */
  readonly routes: readonly string[];
}

/** `GET /api/v1/endpoints`: one row per endpoint with its service. */
export interface EndpointRowView extends EndpointView {
  readonly service: string;
}

/** `GET /api/v1/certificates`: a certificate with its expiry judged. */
export interface CertificateStatusView extends CertificateView {
  /** Whole days until `notAfter` (negative once expired); null when unparsable. */
  readonly daysLeft: number | null;
  readonly status: 'ok' | 'expiring' | 'expired' | 'invalid';
}

export function overviewView(view: SnapshotView): OverviewView {
  const endpoints = view.backends.flatMap((b) => b.endpoints);
  const certificates = certificatesView(view, Date.parse(view.generatedAt));
  return {
    version: view.version,
    generatedAt: view.generatedAt,
    startedAt: view.startedAt,
    providers: view.providers,
    lastReload: view.lastReload,
    entryPoints: view.entryPoints,
    counts: {
      virtualHosts: view.virtualHosts.length,
      routers: view.virtualHosts.reduce((n, v) => n + v.routes.length, 0),
      services: view.backends.length,
      endpoints: endpoints.length,
      endpointsReady: endpoints.filter((e) => e.ready).length,
      certificates: certificates.length,
      certificatesExpiring: certificates.filter((c) => c.status !== 'ok').length,
      rejected: view.rejected.length,
      circuitsOpen: view.backends.filter((b) => (b.resilience?.breaker ?? 'closed') !== 'closed').length,
    },
  };
}

export function routersView(view: SnapshotView): RouterView[] {
  return view.virtualHosts.flatMap((vhost: VirtualHostView) =>
    vhost.routes.map((route) => ({ host: vhost.hostname, ...route })),
  );
}

export function servicesView(view: SnapshotView): ServiceView[] {
  const routesByBackend = new Map<string, string[]>();
  for (const vhost of view.virtualHosts)
    for (const route of vhost.routes) {
      if (route.backend === undefined) continue;
      const list = routesByBackend.get(route.backend) ?? [];
      list.push(route.name);
      routesByBackend.set(route.backend, list);
    }
  return view.backends.map((backend) => ({
    ...backend,
    ready: backend.endpoints.filter((e) => e.ready).length,
    available: backend.endpoints.filter((e) => e.ready && (e.health?.available ?? true)).length,
    routes: routesByBackend.get(backend.name) ?? [],
  }));
}

export function endpointsView(view: SnapshotView): EndpointRowView[] {
  return view.backends.flatMap((backend) =>
    backend.endpoints.map((endpoint) => ({ service: backend.name, ...endpoint })),
  );
}

export function certificatesView(view: SnapshotView, nowMs: number): CertificateStatusView[] {
  return view.certificates.map((certificate) => {
    const notAfter = certificate.notAfter === null ? Number.NaN : Date.parse(certificate.notAfter);
    if (Number.isNaN(notAfter)) return { ...certificate, daysLeft: null, status: 'invalid' };
    const daysLeft = Math.floor((notAfter - nowMs) / DAY_MS);
    const status = notAfter <= nowMs ? 'expired' : daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'ok';
    return { ...certificate, daysLeft, status };
  });
}

const REDACTED = '[redacted]';
/**
 * Fields whose values never leave the process, wherever they appear in the IR: private keys and any
 * credential a filter may carry. Matched on the key name so that fields added later are covered unseen.
 */
const SECRET_KEY = /(^keyPem$|password|secret|token|credential|^authorization$|apiKey|privateKey)/i;

/** `GET /api/v1/config`: the IR the data plane serves, with every secret replaced by `[redacted]`. */
export function redactedConfig(ir: IR): unknown {
  return redact(ir);
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined ? REDACTED : redact(item);
  }
  return out;
}
