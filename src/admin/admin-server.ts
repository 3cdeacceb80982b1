import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { formatAddress } from '../core/address.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import { boundAddress, closeServer, listen } from '../core/listening.js';
import type { LiveStats } from '../observability/live-stats.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { RegistryStore } from '../registry/store.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import {
  certificatesView,
  endpointsView,
  overviewView,
  redactedConfig,
  routersView,
  servicesView,
} from './api-views.js';
import { BearerAuth } from './bearer-auth.js';
import { type DashboardAsset, DEFAULT_DASHBOARD_DIR, loadDashboardAssets } from './dashboard-assets.js';
import { type AdminInfo, buildSnapshotView, type SnapshotView } from './snapshot-view.js';
import { serveStatsStream } from './stats-stream.js';

export type { AdminInfo } from './snapshot-view.js';

export interface AdminServerOptions {
  readonly host: string;
  /** 0 for an ephemeral port (tests); see `address()`. */
  readonly port: number;
  /** Bearer token required on everything but `/healthz`, `/readyz` and the dashboard's static files. */
  readonly token?: string | undefined;
  /** The built dashboard bundle; default `<outDir>/dashboard/`. */
  readonly dashboardDir?: string | undefined;
}

export interface AdminServerDeps {
  readonly holder: SnapshotHolder;
  readonly metrics: Pick<GatewayMetrics, 'metricsText' | 'contentType'>;
  /** True once the first snapshot serves and the entry points listen; drives `/readyz`. */
  readonly readiness: () => boolean;
  readonly info: () => AdminInfo;
  readonly logger: Logger;
  /** For `generatedAt`; the system clock when absent. */
  readonly clock?: Clock | undefined;
  /** Per-route rates for `/api/v1/stream`; the stream answers 404 without it. */
  readonly liveStats?: LiveStats | undefined;
  /** The service registry, when it runs: `/api/v1/registry`. */
  readonly registry?: Pick<RegistryStore, 'snapshot'> | null | undefined;
}

/** An admin request is small and answered from memory; anything slower is a stuck or hostile client. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
const ALLOW = 'GET, HEAD';

type Handler = (res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

/** Paths any client may read, even when a token is configured: probes and the dashboard's static files. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/', '/dashboard', '/dashboard/']);

/**
 * The read-only admin API: `/healthz` (liveness), `/readyz` (readiness), `/metrics` (Prometheus),
 * `/api/v1/snapshot` (the table the data plane serves, without secrets), its slices for the dashboard
 * (`overview`, `routers`, `services`, `endpoints`, `certificates`, `rejected`, `config`, `registry`), the live
 * statistics stream (`/api/v1/stream`) and the dashboard itself (`/dashboard/`). Meant for a private address;
 * with `token` set, everything except probes and static files requires it.
 */
export class AdminServer implements Runner {
  readonly name = 'admin';
  readonly #options: AdminServerOptions;
  readonly #deps: AdminServerDeps;
  readonly #routes: ReadonlyMap<string, Handler>;
  readonly #auth: BearerAuth;
  #dashboard: ReadonlyMap<string, DashboardAsset> | null = null;
  #server: Server | null = null;
  #signal: AbortSignal | null = null;
  readonly #onAbort = (): void => {
    void this.close();
  };

  constructor(options: AdminServerOptions, deps: AdminServerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#auth = new BearerAuth(options.token);
    const view =
      (build: (view: SnapshotView) => unknown): Handler =>
      (res) =>
        this.#view(res, build);
    this.#routes = new Map<string, Handler>([
      ['/healthz', (res) => sendText(res, 200, 'ok\n')],
      [
        '/readyz',
        (res) => (deps.readiness() ? sendText(res, 200, 'ok\n') : sendText(res, 503, 'not ready\n')),
      ],
      ['/metrics', (res) => this.#metrics(res)],
      ['/api/v1/snapshot', view((v) => v)],
      ['/api/v1/overview', view(overviewView)],
      ['/api/v1/routers', view(routersView)],
      ['/api/v1/services', view(servicesView)],
      ['/api/v1/endpoints', view(endpointsView)],
      ['/api/v1/certificates', view((v) => certificatesView(v, Date.parse(v.generatedAt)))],
      ['/api/v1/rejected', view((v) => v.rejected)],
      ['/api/v1/config', (res) => this.#config(res)],
      ['/api/v1/registry', (res) => this.#registry(res)],
      ['/api/v1/stream', (res, req) => this.#stream(res, req)],
      ['/', (res) => redirect(res, '/dashboard/')],
      ['/dashboard', (res) => redirect(res, '/dashboard/')],
    ]);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#server) return;
    this.#dashboard = await loadDashboardAssets(this.#options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
    const server = createServer((req, res) => this.#handle(req, res));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.#server = server;
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    await listen(server, this.#options.host, this.#options.port);
    server.on('error', (error) => this.#deps.logger.error({ err: error }, 'admin server error'));
    const address = this.address();
    this.#deps.logger.info(
      {
        address: address && formatAddress(address),
        dashboard: this.#dashboard !== null,
        authentication: this.#auth.enabled ? 'bearer' : 'none',
      },
      'admin API listening',
    );
    if (!this.#auth.enabled && !isLoopback(this.#options.host)) {
      this.#deps.logger.warn(
        { host: this.#options.host || '*' },
        'the admin API is reachable beyond loopback without admin.token: anyone who can connect can read it',
      );
    }
    this.#deps.liveStats?.start();
  }

  /** The bound address once listening (the real port when started with port 0), else null. */
  address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    this.#deps.liveStats?.close();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = null;
    await closeServer(server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const asset = this.#dashboard?.get(path);
    const handler: Handler | undefined =
      asset === undefined ? this.#routes.get(path) : (reply) => sendAsset(reply, asset);
    if (!handler) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    if (
      !PUBLIC_PATHS.has(path) &&
      asset === undefined &&
      !this.#auth.allows(req, query === -1 ? null : new URLSearchParams(url.slice(query + 1)))
    ) {
      // RFC 6750 §3: the challenge names the scheme, and the error when a token was presented but is wrong.
      res.setHeader(
        'www-authenticate',
        req.headers.authorization === undefined ? 'Bearer realm="tidegate"' : 'Bearer error="invalid_token"',
      );
      sendJson(res, 401, { error: 'unauthorized' });
      return;
    }
    // RFC 9110 §9.1: GET and HEAD are the methods every resource supports; the admin API is read-only.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', ALLOW);
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    try {
      const pending = handler(res, req);
      if (pending) pending.catch((error: unknown) => this.#fail(res, error));
    } catch (error) {
      this.#fail(res, error);
    }
  }

  async #metrics(res: ServerResponse): Promise<void> {
    const text = await this.#deps.metrics.metricsText();
    send(res, 200, this.#deps.metrics.contentType, text);
  }

  /** A view derived from the snapshot; 503 before the first table. */
  #view(res: ServerResponse, build: (view: SnapshotView) => unknown): void {
    const table = this.#deps.holder.current;
    if (!table) {
      sendJson(res, 503, { error: 'no snapshot yet' });
      return;
    }
    const clock = this.#deps.clock ?? systemClock;
    sendJson(res, 200, build(buildSnapshotView(table, this.#deps.info(), clock.now())));
  }

  #config(res: ServerResponse): void {
    const table = this.#deps.holder.current;
    if (!table) sendJson(res, 503, { error: 'no snapshot yet' });
    else sendJson(res, 200, { version: table.version, ir: redactedConfig(table.ir) });
  }

  #registry(res: ServerResponse): void {
    const registry = this.#deps.registry;
    if (!registry) sendJson(res, 404, { error: 'the service registry is not enabled' });
    else sendJson(res, 200, registry.snapshot());
  }

  #stream(res: ServerResponse, req: IncomingMessage): void {
    const stats = this.#deps.liveStats;
    if (!stats) {
      sendJson(res, 404, { error: 'live statistics are not enabled' });
      return;
    }
    serveStatsStream(req, res, stats, () => this.#deps.holder.current?.version ?? 0);
  }

  #fail(res: ServerResponse, error: unknown): void {
    this.#deps.logger.error({ err: error }, 'admin request failed');
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: 'internal error' });
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('location', location);
  res.setHeader('content-length', 0);
  res.end();
}

function sendAsset(res: ServerResponse, asset: DashboardAsset): void {
  res.statusCode = 200;
  res.setHeader('content-type', asset.contentType);
  res.setHeader('content-length', asset.body.length);
  // The bundle changes only with a new build, i.e. a restart; revalidate rather than serve a stale app.
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-content-type-options', 'nosniff');
  // Everything the dashboard loads is its own; no inline script, no third party (works offline).
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  );
  res.end(asset.body);
}

function sendText(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(body));
  // Live state: a cached answer would be wrong by definition.
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.end(body);
}
