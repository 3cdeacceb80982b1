/**
 * The compiled, request-path view of one IR snapshot. Built synchronously by `compile`, never mutated after
 * (apart from the data plane's per-endpoint caches), read by a request once and kept for its whole life.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EndpointOutcome, EndpointState } from '../endpoints/endpoint-state.js';
import type { Certificate, IR, ObjectStatus, Route, RouteTimeouts } from '../ir/types.js';
import type { BackendGuard } from '../resilience/backend-guard.js';
import type { CanarySplit } from '../resilience/canary-split.js';

export type { EndpointOutcome } from '../endpoints/endpoint-state.js';

export interface RuntimeTable {
  /** Monotonic snapshot number, 1 for the first table. */
  readonly version: number;
  readonly ir: IR;
  readonly statuses: readonly ObjectStatus[];
  /**
   * The route for a request: virtual host by exact name, then wildcard (one label), then `*`; inside it the
   * first route in precedence order that matches `path` (no query string). `host` is lower-case without port.
   */
  match(host: string, path: string): RuntimeRoute | null;
  /** Certificate for a TLS ClientHello server name: exact host, then wildcard, then none (caller uses default). */
  certificateFor(serverName: string): Certificate | null;
  readonly backends: ReadonlyMap<string, RuntimeBackend>;
}

export interface RuntimeRoute {
  readonly name: string;
  readonly ir: Route;
  /** The backend to forward to; null when the route is invalid (then `invalid` is set). */
  readonly backend: RuntimeBackend | null;
  readonly invalid: { readonly status: number; readonly reason: string; readonly message: string } | null;
  readonly httpsRedirect: { readonly status: number; readonly port: number | null } | null;
  /** -1 for no limit. */
  readonly maxBodyBytes: number;
  readonly timeouts: RouteTimeouts;
  readonly upstreamProtocol: 'http' | 'https';
  /** The canary Ingress merged into this route (its backend and split rules); null without one. */
  readonly canary: RuntimeCanary | null;
  /**
   * The upstream request target for `target` (path plus query as received, `path` its path part). Returns
   * `target` itself, unchanged and unallocated, when the route has no rewrite or the rewrite does not match.
   */
  rewrite(target: string, path: string): string;
}

/** A route's canary: requests `split` selects go to `backend` instead of the route's own. */
export interface RuntimeCanary {
  readonly backend: RuntimeBackend;
  readonly split: CanarySplit;
}

/** What a picker may look at. Built once per request by the data plane. */
export interface PickRequest {
  readonly clientAddress: string;
  readonly path: string;
  /** Path and query as received (`$request_uri`, `$arg_*` hash keys). */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

export interface RuntimeBackend {
  readonly name: string;
  readonly kind: 'service' | 'external-name';
  /** All endpoints, including not-ready ones (for views); pickers only return eligible ones. */
  readonly endpoints: readonly RuntimeEndpoint[];
  /** Circuit-breaker counters, retry budget and trip breaker; shared by every table holding this backend. */
  readonly guard: BackendGuard;
  /**
   * An endpoint for this request, or null when none is eligible (→ 503). `avoid` holds the names of endpoints
   * this request already tried (retries): an eligible endpoint outside it is returned when one exists, else any
   * eligible one. Synchronous and allocation-free.
   */
  pick(request: PickRequest, avoid?: ReadonlySet<string> | null): RuntimeEndpoint | null;
  /** A try was dispatched to `endpoint` (in-flight count up). Call exactly once per try, before `onEnd`. */
  onStart(endpoint: RuntimeEndpoint): void;
  /** The try started with `onStart` ended after `latencyMs` (dispatch to response head, or to the failure). */
  onEnd(endpoint: RuntimeEndpoint, outcome: EndpointOutcome, latencyMs: number): void;
  /**
   * The `Set-Cookie` value to add to the response when this backend has cookie affinity and the request's
   * cookie does not already name `endpoint` (first request, or the pinned endpoint was replaced); null otherwise.
   */
  affinityCookie(request: PickRequest, endpoint: RuntimeEndpoint): string | null;
}

export interface RuntimeEndpoint {
  readonly name: string;
  /** IP literal, or a DNS name the data plane resolves (ExternalName). */
  readonly address: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly weight: number;
  /** Long-lived state (in-flight, EWMA, health, ejection) shared by every table that holds this endpoint name. */
  readonly state: EndpointState;
}
