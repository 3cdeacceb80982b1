import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAddress } from '../core/address.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import { type AdminInfo, buildSnapshotView } from './snapshot-view.js';

export type { AdminInfo } from './snapshot-view.js';

export interface AdminServerOptions {
  readonly host: string;
  /** 0 for an ephemeral port (tests); see `address()`. */
  readonly port: number;
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
}

/** An admin request is small and answered from memory; anything slower is a stuck or hostile client. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
const ALLOW = 'GET, HEAD';

type Handler = (res: ServerResponse) => void | Promise<void>;

/**
 * The read-only admin API: `/healthz` (liveness), `/readyz` (readiness), `/metrics` (Prometheus) and
 * `/api/v1/snapshot` (the table the data plane serves, without secrets). Meant for a private address.
 */
export class AdminServer implements Runner {
  readonly name = 'admin';
  readonly #options: AdminServerOptions;
  readonly #deps: AdminServerDeps;
  readonly #routes: ReadonlyMap<string, Handler>;
  #server: Server | null = null;
  #signal: AbortSignal | null = null;
  readonly #onAbort = (): void => {
    void this.close();
  };

  constructor(options: AdminServerOptions, deps: AdminServerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#routes = new Map<string, Handler>([
      ['/healthz', (res) => sendText(res, 200, 'ok\n')],
      [
        '/readyz',
        (res) => (deps.readiness() ? sendText(res, 200, 'ok\n') : sendText(res, 503, 'not ready\n')),
      ],
      ['/metrics', (res) => this.#metrics(res)],
      ['/api/v1/snapshot', (res) => this.#snapshot(res)],
    ]);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#server) return;
    const server = createServer((req, res) => this.#handle(req, res));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.#server = server;
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.#deps.logger.error({ err: error }, 'admin server error'));
    const address = this.address();
    this.#deps.logger.info({ address: address && formatAddress(address) }, 'admin API listening');
  }

  /** The bound address once listening (the real port when started with port 0), else null. */
  address(): AddressInfo | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address : null;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = null;
    await new Promise<void>((resolve) => {
      // The callback also runs (with ERR_SERVER_NOT_RUNNING) when listen never succeeded.
      server.close(() => resolve());
      // Keep-alive clients (a Prometheus scraper) would otherwise hold the close open until their idle timeout.
      server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const handler = this.#routes.get(path);
    if (!handler) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    // RFC 9110 §9.1: GET and HEAD are the methods every resource supports; the admin API is read-only.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', ALLOW);
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    try {
      const pending = handler(res);
      if (pending) pending.catch((error: unknown) => this.#fail(res, error));
    } catch (error) {
      this.#fail(res, error);
    }
  }

  async #metrics(res: ServerResponse): Promise<void> {
    const text = await this.#deps.metrics.metricsText();
    send(res, 200, this.#deps.metrics.contentType, text);
  }

  #snapshot(res: ServerResponse): void {
    const table = this.#deps.holder.current;
    if (!table) {
      sendJson(res, 503, { error: 'no snapshot yet' });
      return;
    }
    const clock = this.#deps.clock ?? systemClock;
    sendJson(res, 200, buildSnapshotView(table, this.#deps.info(), clock.now()));
  }

  #fail(res: ServerResponse, error: unknown): void {
    this.#deps.logger.error({ err: error }, 'admin request failed');
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: 'internal error' });
  }
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
