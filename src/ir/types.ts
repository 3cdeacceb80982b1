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
  /** Proxy to the named backend (see `IR.backends`). */
  | { readonly type: 'forward'; readonly backend: string }
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
}

export interface RouteTimeouts {
  /** TCP (and TLS) connect, ms. ingress-nginx `proxy-connect-timeout` (default 5 s). */
  readonly connectMs: number;
  /** Between two reads from the upstream, including waiting for response headers, ms (`proxy-read-timeout`, 60 s). */
  readonly readMs: number;
  /** Between two writes to the upstream, ms (`proxy-send-timeout`, 60 s). */
  readonly sendMs: number;
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
}

export type LoadBalancerPolicy = { readonly type: 'round_robin' };

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
