import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { formatAddress } from '../core/address.js';
import type { Runner } from '../core/lifecycle.js';
import { boundAddress, listen } from '../core/listening.js';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import { clientErrorResponse } from './client-errors.js';
import { SecureContextCache } from './tls-contexts.js';

/** What an entry point hands its requests to (the proxy handler; a stub in tests). */
export interface RequestHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface EntryPointOptions {
  /** Listener name: metric label and log field. */
  readonly name: string;
  /** `''` listens on every interface. */
  readonly host: string;
  /** 0 for an ephemeral port (tests); see `address()`. */
  readonly port: number;
  readonly protocol: 'http' | 'https';
  /** Required for `https`: the certificate for clients without SNI or with a name no table certificate covers. */
  readonly tls?:
    | {
        readonly defaultCertPem: string;
        readonly defaultKeyPem: string;
        readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
      }
    | undefined;
  /** Largest request head in bytes; a larger one is answered 431. */
  readonly maxHeaderSize: number;
  /** Time allowed to receive a whole request (head and body), ms; 0 for no limit. Exceeding it answers 408. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, ms. */
  readonly keepAliveTimeoutMs: number;
}

export interface EntryPointDeps {
  readonly handler: RequestHandler;
  /** Certificates for SNI come from the current table. */
  readonly holder: SnapshotHolder;
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
}

/** nginx `client_header_timeout` defaults to 60 s; a request head slower than that is a slowloris, not a client. */
const MAX_HEADERS_TIMEOUT_MS = 60_000;
/** How often Node checks the head/request timeouts; a stalled client holds its socket at most this much longer. */
const TIMEOUT_CHECK_INTERVAL_MS = 5_000;
/** HTTP/2 is not spoken yet; announcing only HTTP/1.1 keeps ALPN clients from trying it. */
const ALPN_PROTOCOLS = ['http/1.1'];

/**
 * One listening socket of the data plane (an ingress-nginx `listen`, a Traefik entry point): HTTP or HTTPS with
 * SNI certificates from the current table and live rotation, strict HTTP/1.1 parsing, connection accounting, and a
 * graceful drain on close. Requests and upgrades go to the injected handler.
 */
export class EntryPoint implements Runner {
  readonly name: string;
  readonly #options: EntryPointOptions;
  readonly #deps: EntryPointDeps;
  readonly #contexts: SecureContextCache | null;
  /** Every accepted TCP socket (for TLS the raw one), including upgraded ones the HTTP server no longer tracks. */
  readonly #sockets = new Set<Socket>();
  /** Responses not yet finished, to make them close their connection when a drain starts. */
  readonly #inFlight = new Set<ServerResponse>();
  #server: Server | null = null;
  #listening: Promise<void> | null = null;
  #signal: AbortSignal | null = null;
  #closing: Promise<void> | null = null;
  #draining = false;
  /** Set while a drain waits for the last socket's 'close' (which runs after the server's own bookkeeping). */
  #allSocketsClosed: (() => void) | null = null;
  readonly #onAbort = (): void => {
    void this.close();
  };
  /**
   * Shared by every socket and response (`this` is the emitter), so accepting allocates no closure; added with
   * `on`, not `once`, whose wrapper would be one. Both events fire once per emitter anyway.
   */
  readonly #onSocketClose: (this: Socket) => void;
  readonly #onResponseClose: (this: ServerResponse) => void;

  constructor(options: EntryPointOptions, deps: EntryPointDeps) {
    if (options.protocol === 'https' && !options.tls) {
      throw new Error(`entry point ${options.name}: https needs tls`);
    }
    this.name = options.name;
    this.#options = options;
    this.#deps = deps;
    this.#contexts = options.tls
      ? new SecureContextCache({
          minVersion: options.tls.minVersion,
          logger: deps.logger.child({ entryPoint: options.name }),
        })
      : null;
    const entryPoint = this;
    this.#onSocketClose = function (this: Socket): void {
      entryPoint.#sockets.delete(this);
      entryPoint.#deps.metrics.connectionChanged(entryPoint.name, -1);
      if (entryPoint.#sockets.size === 0) entryPoint.#allSocketsClosed?.();
    };
    this.#onResponseClose = function (this: ServerResponse): void {
      entryPoint.#inFlight.delete(this);
      // The connection of a response that began before the drain (and so promised keep-alive) is idle now.
      if (entryPoint.#draining) entryPoint.#server?.closeIdleConnections();
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#server || this.#closing) return;
    const server = this.#createServer();
    this.#server = server;
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#listening = listen(server, this.#options.host, this.#options.port);
    await this.#listening;
    server.on('error', (error) =>
      this.#deps.logger.error({ err: error, entryPoint: this.name }, 'entry point error'),
    );
    const address = this.address();
    if (!address) return;
    this.#deps.logger.info(
      { entryPoint: this.name, address: formatAddress(address), protocol: this.#options.protocol },
      'entry point listening',
    );
  }

  /** `http` or `https`, as configured. */
  get protocol(): 'http' | 'https' {
    return this.#options.protocol;
  }

  /** The bound address once listening (the real port when started with port 0), else null. */
  address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  /**
   * Stops accepting at once, closes idle keep-alive connections, lets in-flight requests finish (their responses
   * carry `Connection: close`, RFC 9112 §9.6) for up to `drainTimeoutMs`, then destroys whatever remains, upgraded
   * connections included. Resolves when every connection is closed. Without a timeout (as on abort) nothing waits.
   * Safe after a partial start and more than once; later calls return the first call's promise.
   */
  close(drainTimeoutMs = 0): Promise<void> {
    this.#closing ??= this.#drain(drainTimeoutMs);
    return this.#closing;
  }

  async #drain(drainTimeoutMs: number): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = null;
    const server = this.#server;
    if (!server) return;
    // A listen still binding would otherwise complete after the close and leak the socket; its failure was start's.
    await this.#listening?.catch(() => undefined);
    this.#draining = true;
    const closed = new Promise<void>((resolve) => {
      // The callback also runs (with ERR_SERVER_NOT_RUNNING) when listen never succeeded; Node ≥ 19 also closes
      // the idle connections here.
      server.close(() => resolve());
    });
    for (const res of this.#inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    const deadline = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, drainTimeoutMs);
    await closed;
    if (this.#sockets.size > 0) {
      await new Promise<void>((resolve) => {
        this.#allSocketsClosed = resolve;
      });
    }
    clearTimeout(deadline);
    this.#server = null;
  }

  #createServer(): Server {
    const requestTimeout = this.#options.requestTimeoutMs;
    const headersTimeout =
      requestTimeout > 0 ? Math.min(MAX_HEADERS_TIMEOUT_MS, requestTimeout) : MAX_HEADERS_TIMEOUT_MS;
    const options: ServerOptions = {
      maxHeaderSize: this.#options.maxHeaderSize,
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: this.#options.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersTimeout),
      // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
      requireHostHeader: true,
      // Lenient parsing is what lets a front and a back proxy disagree on framing (request smuggling).
      insecureHTTPParser: false,
    };
    const tls = this.#options.tls;
    const server =
      tls && this.#options.protocol === 'https'
        ? createHttpsServer({
            ...options,
            cert: tls.defaultCertPem,
            key: tls.defaultKeyPem,
            minVersion: tls.minVersion,
            // A connection that never finishes its handshake is held no longer than one that never sends a head.
            handshakeTimeout: headersTimeout,
            ALPNProtocols: ALPN_PROTOCOLS,
            SNICallback: this.#selectCertificate,
          })
        : createHttpServer(options);
    server.on('connection', this.#onConnection);
    server.on('request', this.#onRequest);
    server.on('upgrade', this.#onUpgrade);
    server.on('clientError', this.#onClientError);
    return server;
  }

  /** Runs on the TCP socket before any TLS, so a TLS connection counts once and is destroyed at its root. */
  readonly #onConnection = (socket: Socket): void => {
    this.#sockets.add(socket);
    this.#deps.metrics.connectionChanged(this.name, 1);
    socket.on('close', this.#onSocketClose);
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#inFlight.add(res);
    res.on('close', this.#onResponseClose);
    if (this.#draining) res.setHeader('connection', 'close');
    try {
      this.#deps.handler.handle(req, res);
    } catch (error) {
      // A throw here would take the process down from inside an event listener; one request is the damage.
      this.#deps.logger.error({ err: error, entryPoint: this.name }, 'request handler threw');
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { connection: 'close', 'content-length': 0 }).end();
    }
  };

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      this.#deps.handler.upgrade(req, socket, head);
    } catch (error) {
      this.#deps.logger.error({ err: error, entryPoint: this.name }, 'upgrade handler threw');
      socket.destroy();
    }
  };

  readonly #onClientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    // A reset peer cannot read an answer; neither can a socket whose current response is already on the wire,
    // where an error message would be spliced into that response's bytes.
    if (error.code === 'ECONNRESET' || !socket.writable || this.#responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const response = clientErrorResponse(error.code);
    this.#deps.logger.debug(
      { entryPoint: this.name, code: error.code, status: response.status },
      'client error',
    );
    socket.end(response.bytes, () => socket.destroy());
  };

  /** Error path only: whether a response on `socket` has sent its head. */
  #responseStarted(socket: Duplex): boolean {
    for (const res of this.#inFlight) if (res.socket === socket && res.headersSent) return true;
    return false;
  }

  /** SNI (RFC 6066 §3): the table's certificate for the name, else the default (no context given). */
  readonly #selectCertificate = (
    serverName: string,
    done: (error: Error | null, context?: SecureContext) => void,
  ): void => {
    const certificate = this.#deps.holder.current?.certificateFor(serverName) ?? null;
    const context = certificate && this.#contexts ? this.#contexts.get(certificate) : null;
    if (context) done(null, context);
    else done(null);
  };
}

/** `host:port`, with an IPv6 host in brackets (RFC 3986 §3.2.2) so that the port stays the text after the last `:`. */
