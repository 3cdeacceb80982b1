/**
 * The provider-neutral intermediate representation. Readonly, JSON-serialisable data only (no classes, Maps or
 * Dates). Every node has a deterministic hierarchical `name` that is also its metric label, log field and the key
 * of long-lived state, and a `source` naming the object it came from.
 */

/** The Kubernetes-shaped object a node was derived from. `namespace` is `''` for cluster-scoped kinds. */
export interface IrSource {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface IR {
  /** Sorted: exact hostnames, then wildcards, then the catch-all `*`; each group by name. */
  readonly virtualHosts: readonly VirtualHost[];
  /** Sorted by name. Only backends referenced by at least one route. */
  readonly backends: readonly Backend[];
  /** Sorted by name. */
  readonly certificates: readonly Certificate[];
}

export interface VirtualHost {
  /** `vhost/<hostname>`. */
  readonly name: string;
  /**
   * Lower-case hostname without port: `shop.example.com`, a wildcard `*.example.com` (matches exactly one extra
   * label, as the Ingress spec says), or `*` for rules without a host.
   */
  readonly hostname: string;
  /** In precedence order: the first route whose match accepts the path wins. */
  readonly routes: readonly Route[];
}

export type PathMatch =
  /** The whole path, case-sensitive. */
  | { readonly type: 'Exact'; readonly path: string }
  /** Element-wise prefix: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`; a trailing `/` is ignored. */
  | { readonly type: 'Prefix'; readonly path: string }
  /**
   * A regular expression (JavaScript syntax) anchored at the start of the path, as ingress-nginx anchors its
   * `location ~*` blocks; capture groups feed `$1`… in rewrites.
   */
  | { readonly type: 'RegularExpression'; readonly pattern: string; readonly caseInsensitive: boolean };

export interface Route {
  /** `ingress/<ns>/<name>/rule/<i>/path/<j>`, or `ingress/<ns>/<name>/default` for a defaultBackend. */
  readonly name: string;
  readonly source: IrSource;
  readonly match: PathMatch;
  readonly action: RouteAction;
  readonly policy: RoutePolicy;
}

export type RouteAction =
  /**
   * Proxy to the named backend (see `IR.backends`), or to the canary's backend for the requests its rules
   * select; `canary` is null (or absent) without a canary Ingress for this host and path.
   */
  | { readonly type: 'forward'; readonly backend: string; readonly canary?: CanaryPolicy | null | undefined }
  /**
   * The route exists but its target is broken (a missing Service or port); answered with `status` so that the
   * failure is visible and distinct from "no ready endpoint" (503).
   */
  | { readonly type: 'invalid'; readonly reason: string; readonly message: string; readonly status: number };

export interface RoutePolicy {
  /** Rewrite applied to the upstream request path; null keeps the path as received. */
  readonly rewrite: PathRewrite | null;
  /**
   * Redirect plain-HTTP requests to HTTPS with this status (308 as ingress-nginx does); null to serve them.
   * Set when the host has TLS (unless `ssl-redirect: "false"`) or with `force-ssl-redirect: "true"`.
   */
  readonly httpsRedirect: { readonly status: 301 | 302 | 307 | 308; readonly port: number | null } | null;
  /** Maximum request body in bytes; null for no limit. Exceeding it answers 413. ingress-nginx default: 1m. */
  readonly maxBodyBytes: number | null;
  readonly timeouts: RouteTimeouts;
  /** Scheme spoken to the upstream (`backend-protocol`). */
  readonly upstreamProtocol: 'http' | 'https';
  /** Retries of failed tries (`proxy-next-upstream*`, `tidegate.io/retry-*`); translation always sets it, absent means none. */
  readonly retry?: RetryPolicy | undefined;
}

export interface RouteTimeouts {
  /** TCP (and TLS) connect, ms. ingress-nginx `proxy-connect-timeout` (default 5 s). */
  readonly connectMs: number;
  /** Between two reads from the upstream, including waiting for response headers, ms (`proxy-read-timeout`, 60 s). */
  readonly readMs: number;
  /** Between two writes to the upstream, ms (`proxy-send-timeout`, 60 s). */
  readonly sendMs: number;
  /**
   * From the dispatch of a try to the upstream's response head, ms (`tidegate.io/proxy-first-byte-timeout`;
   * default, and when absent, `readMs`: nginx's single read timeout). Per try: a retry starts it afresh. 504 on expiry.
   */
  readonly firstByteMs?: number | undefined;
  /**
   * The whole request, every try and backoff included, until the response head is relayed, ms
   * (`tidegate.io/proxy-request-timeout`); null or absent for no limit (the default). 504 on expiry.
   */
  readonly requestMs?: number | null | undefined;
}

/**
 * When and how a failed try is repeated (Envoy's retry policy, with ingress-nginx's `proxy-next-upstream`
 * vocabulary). A try is only repeated while nothing of its response reached the client and the request body can
 * be replayed (see `replayBodyBytes`).
 */
export interface RetryPolicy {
  /**
   * Tries in total, the first included (`proxy-next-upstream-tries`, ingress-nginx default 3); 1 disables
   * retries; 0 means one try per eligible endpoint of the backend (nginx's "no limit": it never tries an
   * upstream server twice for one request).
   */
  readonly attempts: number;
  /** Retry when the connection could not be established (refused, connect timeout, TLS failure). */
  readonly onConnectFailure: boolean;
  /** Retry when the connection broke or the response head was invalid before any byte reached the client. */
  readonly onReset: boolean;
  /** Retry when a try timed out waiting for the response head (first-byte or per-try timeout). */
  readonly onTimeout: boolean;
  /** Response statuses that are retried (`http_502` → 502), sorted. */
  readonly statuses: readonly number[];
  /**
   * `idempotent`: only GET, HEAD, OPTIONS, TRACE, PUT, DELETE (RFC 9110 §9.2.2) are retried, except on connect
   * failures, where nothing reached the upstream; `all`: every method (`non_idempotent`).
   */
  readonly methods: 'idempotent' | 'all';
  /** Time a try may take until its response head, ms; null for none (the first-byte timeout still applies). */
  readonly perTryTimeoutMs: number | null;
  /** No new try is started after this long since the request began, ms (`proxy-next-upstream-timeout`); null for none. */
  readonly timeoutMs: number | null;
  /** Exponential backoff before try n+1: a uniformly random wait in [0, min(maxMs, baseMs × 2^(n-1))] (Envoy). */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /**
   * Largest request body kept for replay, bytes (`tidegate.io/retry-body-buffer-size`; default 64 KiB, Envoy's
   * request buffer limit). A body within it is streamed to the first try and kept, then replayed by a retry; a
   * larger one disables retries for its request; 0 never repeats a request with a body. Absent: the default.
   */
  readonly replayBodyBytes?: number | undefined;
}

/**
 * Per-backend protection (Envoy circuit-breaker thresholds, its retry budget, and a Traefik-style trip
 * expression). Comes from the annotations of the routes that use the backend; when they disagree, the oldest
 * Ingress' settings win.
 */
export interface CircuitBreakerPolicy {
  /** Concurrent connections (HTTP/1.1: tries in flight); beyond it requests wait as pending. Envoy default 1024. */
  readonly maxConnections: number;
  /** Requests waiting for a connection slot; beyond it 503 `overflow`. Envoy default 1024. */
  readonly maxPendingRequests: number;
  /** Client requests in flight (pending included); beyond it 503 `overflow`. Envoy default 1024. */
  readonly maxRequests: number;
  /** Retries allowed as a percentage of the requests of the last 10 s (Envoy `budget_percent`, 20). */
  readonly retryBudgetPercent: number;
  /** Retries in flight that are always allowed, whatever the budget says (Envoy `min_retry_concurrency`, 3). */
  readonly retryBudgetMinConcurrency: number;
  /** The trip expression; null disables the state machine (the limits above still apply). */
  readonly trip: CircuitTrip | null;
}

/** The open → half-open → closed state machine of one backend (Traefik's circuit breaker). */
export interface CircuitTrip {
  /** As written, for views and messages: `NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(99) > 300`. */
  readonly source: string;
  readonly expression: TripExpression;
  /** How often the expression is evaluated while closed, ms (Traefik `checkPeriod`, 100 ms). */
  readonly checkPeriodMs: number;
  /** How long the breaker stays open before probing, ms (Traefik `fallbackDuration`, 10 s). */
  readonly fallbackMs: number;
  /** Consecutive successful probes that close the breaker again; one failed probe opens it. */
  readonly probes: number;
  /** Requests the rolling window (10 s) must hold before the expression may trip. */
  readonly minRequests: number;
}

/** A parsed trip expression (Traefik syntax). Metrics are computed on a rolling 10 s window. */
export type TripExpression =
  | { readonly type: 'or' | 'and'; readonly left: TripExpression; readonly right: TripExpression }
  | {
      readonly type: 'compare';
      readonly metric: TripMetric;
      readonly operator: '>' | '>=' | '<' | '<=' | '==' | '!=';
      readonly value: number;
    };

export type TripMetric =
  /** Tries that ended in a connect failure, reset or timeout, over all tries. */
  | { readonly type: 'NetworkErrorRatio' }
  /** Responses with a status in [from, to) over responses with a status in [dividedFrom, dividedTo). */
  | {
      readonly type: 'ResponseCodeRatio';
      readonly from: number;
      readonly to: number;
      readonly dividedFrom: number;
      readonly dividedTo: number;
    }
  /** The latency (ms, dispatch to response head) at this quantile, in percent (50.0 = median). */
  | { readonly type: 'LatencyAtQuantileMS'; readonly quantile: number };

/**
 * A canary Ingress (ingress-nginx `canary: "true"`) merged into the route with the same host and path: some
 * requests go to `backend` instead. Rules in ingress-nginx's precedence: header, then cookie, then weight.
 */
export interface CanaryPolicy {
  /** The canary backend (see `IR.backends`). */
  readonly backend: string;
  /** The canary Ingress. */
  readonly source: IrSource;
  /**
   * `canary-by-header`, lower-case; null when unset. Without a value or pattern, `always` routes to the canary
   * and `never` away from it; any other value falls through to the cookie and weight rules.
   */
  readonly header: string | null;
  /** `canary-by-header-value`: exactly this value routes to the canary (others fall through). */
  readonly headerValue: string | null;
  /** `canary-by-header-pattern` (ignored when a value is set): a matching value routes to the canary. */
  readonly headerPattern: string | null;
  /** `canary-by-cookie`: cookie value `always` routes to the canary, `never` away from it. */
  readonly cookie: string | null;
  /** `canary-weight` out of `weightTotal` (`canary-weight-total`, default 100) requests go to the canary. */
  readonly weight: number;
  readonly weightTotal: number;
}

export type PathRewrite =
  /**
   * nginx `rewrite` semantics: when `pattern` matches the request path, the path becomes `replacement` with
   * `$1`…`$9` replaced by capture groups (an empty string for a group that did not take part). The query string
   * is kept.
   */
  {
    readonly type: 'regex';
    readonly pattern: string;
    readonly caseInsensitive: boolean;
    readonly replacement: string;
  };

export interface Backend {
  /** `backend/<ns>/<service>/<port>` where port is the Service port number. */
  readonly name: string;
  readonly source: IrSource;
  readonly kind: 'service' | 'external-name';
  /** Sorted by name; includes endpoints that are not ready (with their conditions) for visibility. */
  readonly endpoints: readonly Endpoint[];
  readonly loadBalancer: LoadBalancerPolicy;
  /** Keeping a client on one endpoint (Service `sessionAffinity`, cookie annotations); absent or null for none. */
  readonly affinity?: Affinity | null | undefined;
  /** How endpoint health is judged beyond readiness; translation always sets it, absent means the defaults. */
  readonly health?: HealthPolicy | undefined;
  /** Limits, retry budget and trip expression; translation always sets it, absent means Envoy's default thresholds. */
  readonly circuitBreaker?: CircuitBreakerPolicy | undefined;
}

/**
 * The load-balancing algorithm of a Backend (`load-balance`, `upstream-hash-by` annotations). Every variant
 * picks among the eligible, available endpoints (see `HealthPolicy.panicThresholdPercent`).
 */
export type LoadBalancerPolicy =
  /** Equal shares in rotation (the default; ingress-nginx `round_robin`). Weights are ignored. */
  | { readonly type: 'round_robin' }
  /** nginx's smooth weighted round robin over `Endpoint.weight`. */
  | { readonly type: 'weighted_round_robin' }
  /** Uniformly random. */
  | { readonly type: 'random' }
  /** Power of two random choices, the one with fewer in-flight requests wins (Envoy `LEAST_REQUEST`). */
  | { readonly type: 'least_request' }
  /** Power of two choices on peak-EWMA latency × (in-flight + 1) (Finagle/Linkerd; ingress-nginx `ewma`). */
  | { readonly type: 'ewma' }
  /** Consistent hashing on a ring of virtual nodes (ketama; ingress-nginx `upstream-hash-by`). */
  | { readonly type: 'ring_hash'; readonly hashBy: readonly HashKeyPart[] }
  /** Maglev consistent hashing (Eisenbud et al., NSDI 2016): a 65537-entry lookup table. */
  | { readonly type: 'maglev'; readonly hashBy: readonly HashKeyPart[] };

/**
 * One piece of a consistent-hash key, from ingress-nginx `upstream-hash-by` nginx variables; the parts are
 * concatenated in order (`$remote_addr$http_x_user`).
 */
export type HashKeyPart =
  /** `$remote_addr`, `$binary_remote_addr`: the client address. */
  | { readonly type: 'client-ip' }
  /** `$http_<name>`: a request header (name lower-case, `_` read as `-`). */
  | { readonly type: 'header'; readonly name: string }
  /** `$cookie_<name>`: a cookie value. */
  | { readonly type: 'cookie'; readonly name: string }
  /** `$uri`: the path without query. */
  | { readonly type: 'path' }
  /** `$request_uri`: path and query as received. */
  | { readonly type: 'request-uri' }
  /** `$arg_<name>`: a query parameter. */
  | { readonly type: 'query'; readonly name: string }
  /** Text between variables. */
  | { readonly type: 'literal'; readonly value: string };

export type Affinity =
  /**
   * Service `sessionAffinity: ClientIP`: requests of one client address go to one endpoint until the client
   * has been idle for `timeoutSeconds` (`sessionAffinityConfig.clientIP.timeoutSeconds`, default 10800).
   */
  | { readonly type: 'client-ip'; readonly timeoutSeconds: number }
  /** ingress-nginx `affinity: cookie` and its `session-cookie-*` annotations. */
  | CookieAffinity;

export interface CookieAffinity {
  readonly type: 'cookie';
  /**
   * `affinity-mode`: `balanced` (default) lets a scale-up move some sessions (the cookie holds a session key
   * hashed onto the endpoints); `persistent` keeps a session on its endpoint for as long as it exists.
   */
  readonly mode: 'balanced' | 'persistent';
  /** `session-cookie-name`, default `INGRESSCOOKIE`. */
  readonly name: string;
  /** `session-cookie-path`, default `/`. */
  readonly path: string;
  /** `session-cookie-max-age` in seconds; null for a session cookie. */
  readonly maxAgeSeconds: number | null;
  /** `session-cookie-expires` in seconds from the response; null for none. */
  readonly expiresSeconds: number | null;
  /** `session-cookie-secure`. */
  readonly secure: boolean;
  /** `session-cookie-samesite`; null to omit the attribute. */
  readonly sameSite: 'None' | 'Lax' | 'Strict' | null;
  /**
   * `session-cookie-change-on-failure`: when a try on the pinned endpoint failed, retry elsewhere and re-pin
   * (true), or keep retrying the pinned endpoint (false, the default).
   */
  readonly changeOnFailure: boolean;
}

/** Health judgement of a Backend's endpoints, beyond the EndpointSlice conditions. */
export interface HealthPolicy {
  /** Active checks; null for none (`tidegate.io/health-check-*` annotations). */
  readonly active: ActiveHealthCheck | null;
  /** Passive outlier detection (Envoy semantics); null for none. */
  readonly outlier: OutlierDetection | null;
  /**
   * Envoy's healthy panic threshold: when fewer than this percentage of the eligible endpoints are available,
   * balance over all eligible endpoints, available or not. 0 disables panic mode. Default 50.
   */
  readonly panicThresholdPercent: number;
}

export interface ActiveHealthCheck {
  /** `http`: GET `path`, healthy when the status is in [statusMin, statusMax]; `tcp`: a connect succeeds. */
  readonly type: 'http' | 'tcp';
  /** Request target of HTTP checks (default `/healthz`). */
  readonly path: string;
  /** Expected status range, inclusive (default 200–399). */
  readonly statusMin: number;
  readonly statusMax: number;
  /** Between two checks of one endpoint, ms (default 10 s). */
  readonly intervalMs: number;
  /** One check's deadline, ms (default 2 s). */
  readonly timeoutMs: number;
  /** Up to this percentage of the interval is added at random to each wait, so checks do not synchronise. */
  readonly jitterPercent: number;
  /** Consecutive passes that turn an unhealthy endpoint healthy (default 2). */
  readonly healthyThreshold: number;
  /** Consecutive failures that turn a healthy endpoint unhealthy (default 3). */
  readonly unhealthyThreshold: number;
}

export interface OutlierDetection {
  /** Consecutive 5xx answers or gateway failures that eject an endpoint; 0 disables. Envoy default 5. */
  readonly consecutive5xx: number;
  /** Consecutive gateway failures (connect, reset, timeout) that eject; 0 disables. Envoy default 5. */
  readonly consecutiveGatewayFailure: number;
  /** An ejection lasts this × the number of times the endpoint was ejected, ms. Envoy default 30 s. */
  readonly baseEjectionMs: number;
  /** Upper bound of one ejection, ms (Envoy `max_ejection_time`, default 300 s). */
  readonly maxEjectionMs: number;
  /** At most this percentage of the backend's endpoints is ejected at once (at least one). Envoy default 10. */
  readonly maxEjectionPercent: number;
}

export interface Endpoint {
  /** `<backend>|<address>:<port>`. */
  readonly name: string;
  /** An IP address, or a DNS name for ExternalName and FQDN endpoints (resolved by the data plane). */
  readonly address: string;
  readonly port: number;
  /** EndpointSlice `conditions.ready` (true when absent, as the API documents). */
  readonly ready: boolean;
  /** EndpointSlice `conditions.serving` (defaults to `ready`). */
  readonly serving: boolean;
  readonly terminating: boolean;
  /** Relative weight, default 1. */
  readonly weight: number;
}

export interface Certificate {
  /** `secret/<ns>/<name>` or `file/<path>`. */
  readonly name: string;
  readonly source: IrSource;
  /** SNI names this certificate serves, from Ingress `spec.tls[].hosts` (lower-case; may hold `*.` wildcards). */
  readonly hosts: readonly string[];
  readonly certPem: string;
  readonly keyPem: string;
}

/** Object status, in the Gateway API vocabulary even for Ingress. */
export interface ObjectStatus {
  readonly ref: IrSource;
  readonly origin?: { readonly file?: string | undefined; readonly line?: number | undefined } | undefined;
  readonly conditions: readonly Condition[];
  /** Non-fatal findings: unknown annotations, ignored fields, conflicts lost to an older object. */
  readonly warnings: readonly string[];
}

export interface Condition {
  readonly type: 'Accepted' | 'ResolvedRefs' | 'Programmed';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface TranslateResult {
  readonly ir: IR;
  /** One entry per input object that translation looked at, sorted by ref. */
  readonly statuses: readonly ObjectStatus[];
}
