import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type ErrorReason, GatewayError, statusForReason } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import type { PickRequest, RuntimeEndpoint, RuntimeRoute } from '../runtime/table.js';
import type { DnsCache } from './dns-cache.js';
import {
  reasonForUpstreamError,
  sendErrorResponse,
  writeSocketError,
  writeSocketResponse,
} from './error-response.js';
import { ForwardedTrust } from './forwarded-headers.js';
import { endToEndResponseHeaders } from './hop-by-hop.js';
import { RequestBody } from './request-body.js';
import { type ParsedTarget, parseRequestTarget, routingHost } from './request-target.js';
import { UpgradeTunnel } from './upgrade-tunnel.js';
import { type RequestHead, upstreamRequestHeaders } from './upstream-headers.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ProxyHandlerOptions {
  /** Entry point name: metrics label, logs. */
  readonly entryPoint: string;
  /** True on HTTPS entry points (X-Forwarded-Proto, https redirect). */
  readonly secure: boolean;
  /** Normalised CIDRs ('10.0.0.0/8', '::1/128') whose forwarded headers are believed. */
  readonly trustedProxies: readonly string[];
  /** Port used in HTTP→HTTPS redirects when the route's redirect port is null (443 ⇒ omitted). */
  readonly httpsPort: number | null;
}

export interface ProxyHandlerDeps {
  readonly holder: SnapshotHolder;
  readonly pools: UpstreamPools;
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
  readonly dns: DnsCache;
}

/** Options and dependencies resolved once per handler, shared by its requests. */
interface ProxyContext {
  readonly entryPoint: string;
  readonly secure: boolean;
  readonly proto: 'http' | 'https';
  readonly httpsPort: number | null;
  readonly holder: SnapshotHolder;
  readonly pools: UpstreamPools;
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
  readonly dns: DnsCache;
  readonly trust: ForwardedTrust;
}

/** What routing decided for a request. */
const FORWARD = 0;
const FAIL = 1;
const REDIRECT = 2;
type Outcome = typeof FORWARD | typeof FAIL | typeof REDIRECT;

/**
 * The HTTP/1.1 data plane of one entry point: routes each request on the current table and relays it to an
 * upstream endpoint through undici, streaming both bodies with back-pressure. `handle` is the server's
 * 'request' listener, `upgrade` its 'upgrade' listener (WebSocket and any other `Upgrade`).
 *
 * Everything up to the upstream dispatch is synchronous; per request it allocates one `Exchange` (which is
 * also the undici dispatch handler and the picker's request view), the upstream header array and the strings
 * that must differ per request.
 */
export class ProxyHandler {
  readonly #ctx: ProxyContext;

  constructor(options: ProxyHandlerOptions, deps: ProxyHandlerDeps) {
    this.#ctx = {
      entryPoint: options.entryPoint,
      secure: options.secure,
      proto: options.secure ? 'https' : 'http',
      httpsPort: options.httpsPort,
      holder: deps.holder,
      pools: deps.pools,
      metrics: deps.metrics,
      logger: deps.logger,
      dns: deps.dns,
      trust: new ForwardedTrust(options.trustedProxies),
    };
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    new Exchange(this.#ctx, req, res).run();
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    new UpgradeRequest(this.#ctx, req, socket, head).run();
  }
}

/**
 * Routing state of one request, shared by plain requests and upgrades. Implements the target, head and pick
 * views itself so that parsing, the header pass and the picker write into and read from one object.
 */
class RoutedRequest implements ParsedTarget, RequestHead, PickRequest {
  readonly ctx: ProxyContext;
  readonly req: IncomingMessage;
  readonly startedAt = performance.now();
  authority: string | null = null;
  path = '';
  target = '';
  hostHeader = '';
  contentLength = -1;
  chunked = false;
  clientAddress = '';
  forwardedProto: string | null = null;
  /** Routing host: lower-case, no port. */
  host = '';
  upstreamHeaders: string[] = [];
  route: RuntimeRoute | null = null;
  endpoint: RuntimeEndpoint | null = null;
  routeName = '';
  backendName = '';
  /** Set when the outcome is FAIL. */
  errorReason: ErrorReason = 'internal';
  errorStatus = 0;
  /** Set when the outcome is REDIRECT. */
  location = '';

  constructor(ctx: ProxyContext, req: IncomingMessage) {
    this.ctx = ctx;
    this.req = req;
  }

  /** The picker's view of the headers: Node builds the object only if a picker asks. */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  /** Steps 1–4 of the request flow: table, target, headers, route, policy checks, endpoint. */
  resolve(upgrade: boolean): Outcome {
    const ctx = this.ctx;
    const table = ctx.holder.current;
    // No table yet: the gateway is starting and has not loaded its configuration ("not ready").
    if (table === null) return this.#fail('no-endpoint');
    if (!parseRequestTarget(this.req.url ?? '', this)) return this.#fail('bad-request');
    const peer = ctx.trust.peer(this.req.socket);
    this.upstreamHeaders = upstreamRequestHeaders(
      this.req.rawHeaders,
      this.authority,
      peer,
      ctx.trust,
      ctx.proto,
      upgrade,
      this,
    );
    this.host = routingHost(this.hostHeader);
    const route = table.match(this.host, this.path);
    if (route === null) return this.#fail('no-route');
    this.route = route;
    this.routeName = route.name;
    if (route.invalid !== null) return this.#fail('backend-invalid', route.invalid.status);
    // Behind a trusted TLS-terminating proxy the client already speaks HTTPS (ingress-nginx decides this on
    // X-Forwarded-Proto when use-forwarded-headers is on): redirecting would loop.
    const redirect = route.httpsRedirect;
    if (redirect !== null && !ctx.secure && this.forwardedProto !== 'https') {
      const port = redirect.port ?? ctx.httpsPort;
      this.errorStatus = redirect.status;
      this.location =
        port === null || port === 443
          ? `https://${this.host}${this.target}`
          : `https://${this.host}:${port}${this.target}`;
      return REDIRECT;
    }
    if (route.maxBodyBytes >= 0 && this.contentLength > route.maxBodyBytes)
      return this.#fail('body-too-large');
    const backend = route.backend;
    if (backend === null) return this.#fail('backend-invalid');
    this.backendName = backend.name;
    const endpoint = backend.pick(this);
    if (endpoint === null) return this.#fail('no-endpoint');
    this.endpoint = endpoint;
    return FORWARD;
  }

  seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  #fail(reason: ErrorReason, status: number = statusForReason(reason)): Outcome {
    this.errorReason = reason;
    this.errorStatus = status;
    return FAIL;
  }
}

const kExchange = Symbol('tidegate.exchange');

/** The client response, carrying its exchange so that shared (non-closure) listeners can find it. */
type TrackedResponse = ServerResponse & { [kExchange]?: Exchange };

/**
 * One proxied request: routing state plus the undici dispatch handler (the controller-based API undici 7
 * documents; the legacy `onHeaders/onData` one is deprecated). Response headers are read from
 * `controller.rawHeaders`, the raw array, and written with `writeHead(status, rawArray)`.
 */
class Exchange extends RoutedRequest implements Dispatcher.DispatchHandler {
  readonly res: TrackedResponse;
  controller: Dispatcher.DispatchController | null = null;
  body: RequestBody | null = null;
  /** Set when the client left before undici started the request: abort it as soon as it does. */
  abortWith: GatewayError | null = null;
  /** Status to report when the response could not complete normally (reset after headers, 499). */
  finalStatus = 0;
  finished = false;

  constructor(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse) {
    super(ctx, req);
    this.res = res;
    this.res[kExchange] = this;
    res.once('close', onResponseClose);
  }

  run(): void {
    switch (this.resolve(false)) {
      case FAIL:
        sendErrorResponse(this.res, this.errorReason, this.errorStatus);
        return;
      case REDIRECT:
        this.res.writeHead(this.errorStatus, ['location', this.location, 'content-length', '0']);
        this.res.end();
        return;
      case FORWARD:
        this.#forward();
        return;
    }
  }

  #forward(): void {
    const route = this.route as RuntimeRoute;
    const endpoint = this.endpoint as RuntimeEndpoint;
    const ctx = this.ctx;
    const timeouts = route.timeouts;
    const external = route.backend?.kind === 'external-name';
    const pool = ctx.pools.get(
      endpoint,
      route.upstreamProtocol,
      this.host,
      timeouts.connectMs,
      external ? ctx.dns : null,
    );
    if (this.contentLength > 0 || this.chunked) {
      this.body = new RequestBody(this.req, route.maxBodyBytes, timeouts.sendMs);
    }
    pool.dispatch(
      {
        path: route.rewrite(this.target, this.path),
        method: this.req.method ?? 'GET',
        headers: this.upstreamHeaders,
        body: this.body,
        // nginx's proxy_read_timeout: the longest silence from the upstream, for the head and between body reads.
        headersTimeout: timeouts.readMs,
        bodyTimeout: timeouts.readMs,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortWith !== null) controller.abort(this.abortWith);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    // 1xx: Node's server answers `Expect: 100-continue` itself; informational responses (103) are not relayed.
    if (statusCode < 200 || this.finished) return;
    const raw = controller.rawHeaders;
    const res = this.res;
    try {
      res.writeHead(
        statusCode,
        statusMessage === '' ? undefined : statusMessage,
        endToEndResponseHeaders(Array.isArray(raw) ? raw : flatten(headers)),
      );
    } catch (error) {
      // A header Node refuses to send (invalid characters): the upstream's answer cannot be relayed.
      controller.abort(
        new GatewayError('upstream-reset', 'invalid upstream response head', { cause: error }),
      );
      return;
    }
    res.on('drain', onResponseDrain);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.body?.destroy();
    if (this.finished) return;
    const reason = reasonForUpstreamError(error);
    if (reason === 'client-aborted') {
      // The client left mid-body; its response closes with it and `finish` counts the 499. Never sent.
      this.res.destroy();
      return;
    }
    if (reason !== 'body-too-large') {
      this.ctx.logger.warn(
        {
          entryPoint: this.ctx.entryPoint,
          route: this.routeName,
          endpoint: this.endpoint?.name,
          reason,
          err: error.message,
        },
        'upstream request failed',
      );
    }
    const res = this.res;
    if (res.headersSent) {
      // Part of the response is out: a second status line is impossible, so reset the client connection.
      this.finalStatus = statusForReason(reason);
      res.destroy();
      return;
    }
    sendErrorResponse(res, reason);
  }

  /** The response is closed (sent, failed or abandoned by the client): exactly one metrics record. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const res = this.res;
    res[kExchange] = undefined;
    let status = this.finalStatus;
    if (status === 0) {
      if (res.writableFinished) {
        status = res.statusCode;
      } else {
        // The client went away first: stop the upstream work (nginx's 499).
        status = statusForReason('client-aborted');
        const error = new GatewayError('client-aborted', 'client closed the connection');
        if (this.controller !== null) this.controller.abort(error);
        else this.abortWith = error;
        this.body?.destroy(error);
      }
    }
    const ctx = this.ctx;
    ctx.metrics.requestFinished(
      ctx.entryPoint,
      this.routeName,
      this.backendName,
      this.req.method ?? '',
      status,
      this.seconds(),
    );
  }
}

function onResponseClose(this: TrackedResponse): void {
  this[kExchange]?.finish();
}

function onResponseDrain(this: TrackedResponse): void {
  this[kExchange]?.controller?.resume();
}

/** Fallback when undici offers no raw header array: rebuild one from the parsed object. */
function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const item of value) out.push(name, item);
    else if (value !== undefined) out.push(name, value);
  }
  return out;
}

/** An `Upgrade` request: routed like any other, then relayed as a byte tunnel. */
class UpgradeRequest extends RoutedRequest {
  readonly #socket: Duplex;
  readonly #head: Buffer;

  constructor(ctx: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer) {
    super(ctx, req);
    this.#socket = socket;
    this.#head = head;
  }

  run(): void {
    const socket = this.#socket;
    switch (this.resolve(true)) {
      case FAIL:
        writeSocketError(socket, this.errorReason, this.errorStatus);
        this.#record(this.errorStatus);
        return;
      case REDIRECT:
        writeSocketResponse(
          socket,
          this.errorStatus,
          `location: ${this.location}\r\ncontent-length: 0\r\n`,
          null,
        );
        this.#record(this.errorStatus);
        return;
      case FORWARD:
        this.#tunnel();
        return;
    }
  }

  #tunnel(): void {
    const route = this.route as RuntimeRoute;
    const endpoint = this.endpoint as RuntimeEndpoint;
    const headers = this.upstreamHeaders;
    let head = `${this.req.method ?? 'GET'} ${route.rewrite(this.target, this.path)} HTTP/1.1\r\n`;
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    head += '\r\n';
    const tunnel = new UpgradeTunnel(
      this.#socket,
      this.#head,
      head,
      {
        address: endpoint.address,
        port: endpoint.port,
        tls: route.upstreamProtocol === 'https',
        serverName: this.host,
        connectMs: route.timeouts.connectMs,
        idleMs: route.timeouts.readMs,
        dns: route.backend?.kind === 'external-name' ? this.ctx.dns : null,
      },
      (status) => this.#record(status),
    );
    tunnel.open();
  }

  #record(status: number): void {
    const ctx = this.ctx;
    ctx.metrics.requestFinished(
      ctx.entryPoint,
      this.routeName,
      this.backendName,
      this.req.method ?? '',
      status,
      this.seconds(),
    );
  }
}
