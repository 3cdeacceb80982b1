import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type ErrorReason, GatewayError, statusForReason } from '../core/errors.js';
import type { AccessLog } from '../observability/access-log.js';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import type { RequestTrace, TraceEnd, Tracing } from '../observability/tracing.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import type {
  EndpointOutcome,
  PickRequest,
  RuntimeBackend,
  RuntimeEndpoint,
  RuntimeRoute,
} from '../runtime/table.js';
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
import { TryLoop } from './retry-loop.js';
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
  /** This entry point's access log; null or absent when it has none. */
  readonly accessLog?: AccessLog | null | undefined;
  /** Trace context propagation and span export; null or absent when tracing is off. */
  readonly tracing?: Tracing | null | undefined;
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
  readonly accessLog: AccessLog | null;
  readonly tracing: Tracing | null;
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
      accessLog: deps.accessLog ?? null,
      tracing: deps.tracing ?? null,
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
  /** The backend chosen for the request: the route's, or its canary's. */
  backend: RuntimeBackend | null = null;
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
    // A canary Ingress for this host and path takes the requests its header/cookie/weight rules select.
    const canary = route.canary;
    const backend = canary?.split.toCanary(this.req.headers) ? canary.backend : route.backend;
    if (backend === null) return this.#fail('backend-invalid');
    this.backend = backend;
    this.backendName = backend.name;
    const endpoint = backend.pick(this);
    if (endpoint === null) return this.#fail('no-endpoint');
    this.endpoint = endpoint;
    return FORWARD;
  }

  seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** The request's one metrics record, under its entry point, route, backend and method. */
  recordFinished(
    status: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
    firstByteSeconds: number,
    retries: number,
  ): void {
    const ctx = this.ctx;
    const method = this.req.method ?? '';
    ctx.metrics.requestFinished(
      ctx.entryPoint,
      this.routeName,
      this.backendName,
      method,
      status,
      seconds,
      requestBytes,
      responseBytes,
      firstByteSeconds,
      retries,
    );
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
  /** Observability of the exchange: body bytes relayed back, upstream timings (performance.now(), -1 unset). */
  responseBytes = 0;
  upstreamStartedAt = -1;
  upstreamFirstByteAt = -1;
  upstreamEndedAt = -1;
  trace: RequestTrace | null = null;
  /** Tries, retries, circuit breaking and the request timeout of a forwarded request. */
  loop: TryLoop | null = null;
  /** True between the backend's `onStart` and `onEnd` for the current try (endpoint feedback). */
  tryOpen = false;

  constructor(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse) {
    super(ctx, req);
    this.res = res;
    this.res[kExchange] = this;
    res.once('close', onResponseClose);
  }

  run(): void {
    const outcome = this.resolve(false);
    const tracing = this.ctx.tracing;
    if (tracing !== null) this.trace = tracing.begin(this.upstreamHeaders, this.req.method ?? 'GET');
    switch (outcome) {
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
    this.loop = new TryLoop(this, this.route as RuntimeRoute, this.backend as RuntimeBackend);
    this.loop.start(this.endpoint as RuntimeEndpoint);
  }

  /** The request method as received (retry conditions). */
  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** The request has a body (streamed to each try; kept for replay while small, see `RequestBody`). */
  get hasBody(): boolean {
    return this.contentLength > 0 || this.chunked;
  }

  /** The request can be sent again: no body, or a body still kept whole. */
  get replayable(): boolean {
    return this.body === null ? !this.hasBody : this.body.replayable;
  }

  /** One try (`TryLoop`): `endpoint` becomes the current one, `handler` receives undici's callbacks. */
  dispatchTry(
    endpoint: RuntimeEndpoint,
    handler: Dispatcher.DispatchHandler,
    headersTimeoutMs: number,
  ): void {
    this.endpoint = endpoint;
    const route = this.route as RuntimeRoute;
    const ctx = this.ctx;
    const timeouts = route.timeouts;
    const external = this.backend?.kind === 'external-name';
    const pool = ctx.pools.get(
      endpoint,
      route.upstreamProtocol,
      this.host,
      timeouts.connectMs,
      external ? ctx.dns : null,
    );
    if (this.body === null && this.hasBody) {
      const replayBytes = (this.loop as TryLoop).replayBodyBytes;
      this.body = new RequestBody(this.req, route.maxBodyBytes, timeouts.sendMs, replayBytes);
    }
    this.upstreamStartedAt = performance.now();
    this.tryOpen = true;
    this.backend?.onStart(endpoint);
    pool.dispatch(
      {
        path: route.rewrite(this.target, this.path),
        method: this.req.method ?? 'GET',
        headers: this.upstreamHeaders,
        body: this.body === null ? null : this.body.open(),
        // The first-byte (or per-try) timeout; then nginx's proxy_read_timeout between body reads.
        headersTimeout: headersTimeoutMs,
        bodyTimeout: timeouts.readMs,
      },
      handler,
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
    this.upstreamFirstByteAt = performance.now();
    const raw = controller.rawHeaders;
    const res = this.res;
    const responseHeaders = endToEndResponseHeaders(Array.isArray(raw) ? raw : flatten(headers));
    // Cookie affinity pins the client to the endpoint that answered (first request, or after a failover).
    const affinity = this.backend?.affinityCookie(this, this.endpoint as RuntimeEndpoint) ?? null;
    if (affinity !== null) responseHeaders.push('set-cookie', affinity);
    try {
      res.writeHead(statusCode, statusMessage === '' ? undefined : statusMessage, responseHeaders);
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
    this.responseBytes += chunk.length;
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.upstreamEndedAt = performance.now();
    this.endTry(this.res.statusCode >= 500 ? 'http-5xx' : 'success');
    this.res.end();
  }

  /**
   * Reports the end of the current try to its backend once (in-flight count, EWMA, outlier detection). The
   * latency is dispatch to response head when a head arrived, else dispatch to the failure.
   */
  endTry(outcome: EndpointOutcome): void {
    if (!this.tryOpen) return;
    this.tryOpen = false;
    const end = this.upstreamFirstByteAt >= 0 ? this.upstreamFirstByteAt : performance.now();
    this.backend?.onEnd(this.endpoint as RuntimeEndpoint, outcome, end - this.upstreamStartedAt);
  }

  /** The current try is given up for a retry: its feedback, and its body stream stops (the body is kept). */
  abandonTry(outcome: EndpointOutcome): void {
    this.endTry(outcome);
    this.body?.suspend();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.upstreamStartedAt >= 0) this.upstreamEndedAt = performance.now();
    this.body?.destroy();
    if (this.finished) return;
    const reason = reasonForUpstreamError(error);
    this.endTry(outcomeForReason(reason));
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
    this.loop?.finished();
    // Still open: the client left before the upstream finished; not the upstream's fault.
    this.endTry('local');
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
    const seconds = this.seconds();
    this.recordFinished(
      status,
      seconds,
      this.body?.received ?? 0,
      this.responseBytes,
      this.upstreamFirstByteAt < 0 ? -1 : (this.upstreamFirstByteAt - this.startedAt) / 1000,
      this.retries,
    );
    // The exchange itself is the access log record: nothing is copied, and nothing happens with no log.
    if (ctx.accessLog !== null) ctx.accessLog.record(this, status, seconds);
    if (this.trace !== null) ctx.tracing?.end(this.trace, this.req.method ?? 'GET', this.#traceEnd(status));
  }

  /** Upstream tries repeated after a failure, for the access log. */
  get retries(): number {
    return this.loop === null ? 0 : this.loop.retries;
  }

  /** W3C trace id for the access log; `''` when tracing is off. */
  get traceId(): string {
    return this.trace === null ? '' : this.trace.traceId;
  }

  /** Upstream dispatch to the end of its response, seconds; -1 when no upstream answered. */
  get upstreamSeconds(): number {
    return this.upstreamStartedAt < 0 || this.upstreamEndedAt < 0
      ? -1
      : (this.upstreamEndedAt - this.upstreamStartedAt) / 1000;
  }

  #traceEnd(status: number): TraceEnd {
    return {
      status,
      entryPoint: this.ctx.entryPoint,
      route: this.routeName,
      service: this.backendName,
      upstreamAddress: this.endpoint?.address ?? '',
      upstreamPort: this.endpoint?.port ?? 0,
    };
  }
}

/** Endpoint feedback for a failed try: connect, reset and timeout are the upstream's failures, the rest ours. */
function outcomeForReason(reason: ErrorReason): EndpointOutcome {
  return reason === 'upstream-connect' || reason === 'upstream-reset' || reason === 'upstream-timeout'
    ? 'gateway-failure'
    : 'local';
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
        dns: this.backend?.kind === 'external-name' ? this.ctx.dns : null,
      },
      (status) => this.#record(status),
    );
    tunnel.open();
  }

  #record(status: number): void {
    // A tunnel has no body counts, first byte or retries to report.
    this.recordFinished(status, this.seconds(), 0, 0, -1, 0);
  }
}
