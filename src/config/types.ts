/**
 * The static configuration (`tidegate.yaml`) after defaults, unit parsing and path resolution. Everything that
 * can change at run time (routes, backends, certificates) comes from providers instead; this is what is fixed
 * for the life of the process. Durations are milliseconds, sizes bytes, paths absolute.
 */
export interface StaticConfig {
  /**
   * Listeners for client traffic. Default: one entry point `web` on `0.0.0.0:8080`, plain HTTP.
   */
  readonly entryPoints: readonly EntryPointConfig[];
  /** The admin API, `/metrics` and the dashboard. */
  readonly admin: AdminConfig;
  /** Where routing objects come from. */
  readonly providers: ProvidersConfig;
  /** Which Ingress objects this instance serves. */
  readonly ingress: IngressConfig;
  /** Upstream limits that apply when a route or annotation does not set its own. */
  readonly defaults: UpstreamDefaults;
  /** Graceful shutdown. */
  readonly shutdown: ShutdownConfig;
  /** Load balancing settings shared by every backend; optional in hand-built configs. */
  readonly loadBalancing?: LoadBalancingConfig | undefined;
  /** Process log output. */
  readonly logging: LoggingConfig;
  /** W3C trace context and span export; undefined (the default) leaves `traceparent` untouched and exports nothing. */
  readonly tracing: TracingConfig | undefined;
  /** Quickstart helpers; empty unless the `demo` section is present. */
  readonly demo: DemoConfig;
  /** The embedded service registry with the Nacos naming API; off unless `registry.enabled`. */
  readonly registry: RegistryConfig;
  /** Absolute path of the config file that was read; undefined when running on defaults alone. */
  readonly configFile: string | undefined;
}

/** Process-wide load-balancing settings. */
export interface LoadBalancingConfig {
  /**
   * Secret of the keyed hash in cookie-affinity values (`TIDEGATE_AFFINITY_KEY`). Replicas must share it for
   * cookies to hold across them; undefined: a random key per process.
   */
  readonly affinityKey: string | undefined;
}

/** Transport of an entry point. */
export type EntryPointProtocol = 'http' | 'https';

/** Lowest TLS version an HTTPS entry point accepts. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** pino levels; `silent` turns logging off. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** `json`: one JSON object per line (production); `pretty`: human-readable lines for a terminal. */
export type LogFormat = 'json' | 'pretty';

/** A parsed listen address. */
export interface ListenAddress {
  /**
   * As written: `host:port`, `[v6]:port` or `:port` (every interface). Port 0 picks a free port.
   * Override: `TIDEGATE_ENTRYPOINT_<NAME>_ADDRESS` / `TIDEGATE_ADMIN_ADDRESS`.
   */
  readonly address: string;
  /** Host part without brackets; `''` means every interface (pass `host || undefined` to `listen`). */
  readonly host: string;
  /** Port part, 0..65535. */
  readonly port: number;
}

/** One listener for client traffic. */
export interface EntryPointConfig extends ListenAddress {
  /** Unique name matching `[a-z0-9-]+`; used in metrics, logs and the address override variable. */
  readonly name: string;
  /** `http` or `https`. Default `http`. */
  readonly protocol: EntryPointProtocol;
  /** TLS settings; present exactly when `protocol` is `https`. */
  readonly tls: TlsConfig | undefined;
  /** Which peers may set `Forwarded` / `X-Forwarded-*` headers. */
  readonly forwardedHeaders: ForwardedHeadersConfig;
  /** Largest request head (request line and headers) accepted, in bytes; larger gets 431. Default `16k`. */
  readonly maxHeaderSize: number;
  /** Time allowed for receiving a whole request from the client, in ms; 0 turns it off. Default 0. */
  readonly requestTimeout: number;
  /** How long an idle client keep-alive connection stays open, in ms. Default `75s` (nginx's default). */
  readonly keepAliveTimeout: number;
  /** Access log of this entry point; undefined (the default) logs nothing and costs nothing per request. */
  readonly accessLog: AccessLogConfig | undefined;
}

/** An inclusive range of HTTP statuses (`"5xx"` is 500–599, `404` is 404–404). */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** One entry point's access log. Reloadable with SIGHUP; SIGUSR1 reopens files (log rotation). */
export interface AccessLogConfig {
  /** `json` (one object per line) or `combined` (nginx's `log_format combined`). Default `json`. */
  readonly format: 'json' | 'combined';
  /** `stdout` or a file path (absolute after loading; relative to the config file). Default `stdout`. */
  readonly path: string;
  /** Fraction (0–1) of the requests that pass `statuses` which are written. Default 1. */
  readonly sample: number;
  /** Only requests answered with one of these statuses are written; empty (the default) means all. */
  readonly statuses: readonly StatusRange[];
}

/** Tracing: W3C `traceparent` / `tracestate` (https://www.w3.org/TR/trace-context/) and OTLP/HTTP export. */
export interface TracingConfig {
  /** `service.name` resource attribute of exported spans. Default `tidegate`. */
  readonly serviceName: string;
  /**
   * Fraction (0–1) of requests without an incoming `traceparent` whose new trace is sampled. Requests with one
   * follow its sampled flag (parent-based sampling). Default 1.
   */
  readonly sampleRate: number;
  /** Where sampled spans go; undefined: trace context is propagated but nothing is exported. */
  readonly otlp: OtlpConfig | undefined;
}

/** An OTLP/HTTP (protobuf over HTTP POST) trace receiver. */
export interface OtlpConfig {
  /** Full URL of the traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. */
  readonly endpoint: string;
  /** Extra request headers (an API key). Default none. */
  readonly headers: Readonly<Record<string, string>>;
  /** Export request timeout, ms. Default `10s`. */
  readonly timeout: number;
}

/** TLS settings of an HTTPS entry point. Certificates for hosts come from Secrets referenced by routes. */
export interface TlsConfig {
  /**
   * Default certificate (PEM), served when no route certificate matches the SNI name. When absent (together
   * with `keyFile`) a self-signed certificate is generated at start. Relative to the config file.
   */
  readonly certFile: string | undefined;
  /** Private key (PEM) of `certFile`; set both or neither. Relative to the config file. */
  readonly keyFile: string | undefined;
  /** Lowest accepted TLS version, `TLSv1.2` or `TLSv1.3`. Default `TLSv1.2`. */
  readonly minVersion: TlsMinVersion;
}

/** Trust in proxies in front of an entry point. */
export interface ForwardedHeadersConfig {
  /**
   * CIDRs (or single addresses) of proxies whose `Forwarded` / `X-Forwarded-*` headers are believed; from any other
   * peer those headers are replaced. Normalised to `addr/prefix`. Default `[]` (trust nobody).
   */
  readonly trustedProxies: readonly string[];
}

/** The admin listener. */
export interface AdminConfig extends ListenAddress {
  /**
   * Bearer token (at least 16 characters) every admin request except `/healthz` and `/readyz` must carry
   * (`Authorization: Bearer <token>`, or `?access_token=` for the dashboard's event stream, RFC 6750 §2.3).
   * Undefined: no authentication, which is only safe on a loopback address.
   */
  readonly token: string | undefined;
}

/** Configured providers; a provider left out of the file is off. */
export interface ProvidersConfig {
  /** Manifest files on disk; undefined when neither the file nor `TIDEGATE_PROVIDERS_FILE_PATHS` sets it. */
  readonly file: FileProviderConfig | undefined;
  /** Ingress-controller mode: watch a Kubernetes API server; undefined when the section is absent. */
  readonly kubernetes: KubernetesProviderConfig | undefined;
}

/** The Kubernetes provider: informers on the API server, Ingress status written by the elected leader. */
export interface KubernetesProviderConfig {
  /**
   * A kubeconfig file (absolute after loading; relative to the config file). Undefined: the in-cluster service
   * account when `KUBERNETES_SERVICE_HOST` is set, otherwise `$KUBECONFIG` or `~/.kube/config`.
   */
  readonly kubeconfig: string | undefined;
  /** Namespaces to watch; empty (the default) watches all. */
  readonly namespaces: readonly string[];
  /** Label selector Ingresses must match (`team=web,env!=test`); undefined selects all. */
  readonly labelSelector: string | undefined;
  /** Quiet period that coalesces a burst of watch events into one set, in ms. Default `100ms`. */
  readonly debounce: number;
  /** Items per LIST page (`limit`). Default 500, as client-go's reflector. */
  readonly pageSize: number;
  /** What to publish in `status.loadBalancer.ingress` of served Ingresses. */
  readonly status: IngressStatusConfig;
  /** The Lease only whose holder writes Ingress status. */
  readonly leaderElection: LeaderElectionConfig;
}

/** Ingress status publishing. Nothing is written when neither `addresses` nor `publishService` yields an address. */
export interface IngressStatusConfig {
  /** Fixed IPs (written as `ip`) or DNS names (written as `hostname`). Default `[]`. */
  readonly addresses: readonly string[];
  /** `namespace/name` of the Service in front of tidegate; its load-balancer ingress and external IPs are published. */
  readonly publishService: { readonly namespace: string; readonly name: string } | undefined;
  /** Period of the full status resync, in ms. Default `60s` (ingress-nginx's status sync period). */
  readonly resync: number;
}

/** Leader election on a `coordination.k8s.io/v1` Lease; durations in ms, defaults are client-go's. */
export interface LeaderElectionConfig {
  /** Namespace of the Lease. Default: `$POD_NAMESPACE` (downward API), else `default`. */
  readonly namespace: string | undefined;
  /** Lease name. Default `tidegate-leader`. */
  readonly leaseName: string;
  /** holderIdentity of this replica. Default `$POD_NAME` (else the host name) plus a random suffix. */
  readonly identity: string | undefined;
  /** Default `15s`. */
  readonly leaseDuration: number;
  /** Default `10s`. */
  readonly renewDeadline: number;
  /** Default `2s`. */
  readonly retryPeriod: number;
}

/** The file provider: Kubernetes manifests (YAML or JSON) read from disk. */
export interface FileProviderConfig {
  /**
   * Files or directories (read recursively: `*.yaml`, `*.yml`, `*.json`). At least one. Relative to the config
   * file; paths from `TIDEGATE_PROVIDERS_FILE_PATHS` (comma-separated) or flags are relative to the working directory.
   */
  readonly paths: readonly string[];
  /** Reload when the files change. Default true. */
  readonly watch: boolean;
  /** Quiet period that coalesces a burst of file events into one reload, in ms. Default `100ms`. */
  readonly debounce: number;
}

/** Ingress class selection. */
export interface IngressConfig {
  /** The IngressClass name this controller serves (`spec.ingressClassName`). Default `tidegate`. */
  readonly className: string;
  /** The `spec.controller` value of IngressClasses that belong to this controller. Default `tidegate.io/ingress-controller`. */
  readonly controllerName: string;
  /**
   * Also serve Ingresses without a class when no IngressClass is marked default. Default true (standalone use,
   * where there often is no IngressClass object at all).
   */
  readonly watchWithoutClass: boolean;
}

/** Upstream defaults; routes and annotations may override them. */
export interface UpstreamDefaults {
  /** Time to establish a connection to an upstream, in ms. Default `5s`. */
  readonly connectTimeout: number;
  /** Time between two reads from the upstream (including the response head), in ms. Default `60s`. */
  readonly readTimeout: number;
  /** Time between two writes to the upstream, in ms. Default `60s`. */
  readonly sendTimeout: number;
  /** Largest request body, in bytes; 0 means unlimited. Default 0. */
  readonly maxBodySize: number;
}

/** Graceful shutdown. */
export interface ShutdownConfig {
  /**
   * On SIGTERM, how long in-flight requests may finish before connections are closed, in ms. Default `30s`.
   * Override: `TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT`.
   */
  readonly drainTimeout: number;
}

/** Process logging. */
export interface LoggingConfig {
  /** Minimum level: trace, debug, info, warn, error, fatal or silent. Default `info`. Override: `TIDEGATE_LOG_LEVEL`. */
  readonly level: LogLevel;
  /** `json` or `pretty`. Default `json`. Override: `TIDEGATE_LOG_FORMAT`. */
  readonly format: LogFormat;
}

/** Quickstart helpers, for trying tidegate without any backend or certificate at hand. */
export interface DemoConfig {
  /** In-process echo backends (who-am-I servers) started with the gateway. Default `[]`. */
  readonly whoami: readonly WhoamiConfig[];
  /** `kubernetes.io/tls` Secret manifests to generate (self-signed) when the file does not exist yet. Default `[]`. */
  readonly selfSignedSecrets: readonly SelfSignedSecretConfig[];
}

/** One in-process echo backend. */
export interface WhoamiConfig extends ListenAddress {
  /** Unique name, `[a-z0-9-]+`; the echo response reports it. */
  readonly name: string;
}

/** One self-signed TLS Secret manifest to generate. */
export interface SelfSignedSecretConfig {
  /** Manifest file to write (absolute after loading; relative to the config file). Left alone when it exists. */
  readonly path: string;
  /** Secret namespace. Default `default`. */
  readonly namespace: string;
  /** Secret name. */
  readonly name: string;
  /** DNS names the certificate covers (subjectAltName); at least one. Wildcards like `*.shop.local` allowed. */
  readonly hosts: readonly string[];
}

/** The embedded service registry (`registry:`), see the README's "Registry mode". */
export interface RegistryConfig extends ListenAddress {
  /** Default false: no registry listener. */
  readonly enabled: boolean;
  /**
   * Where the embedded store keeps services and persistent instances (absolute after loading); undefined (the
   * default): `data/registry` under the working directory.
   */
  readonly dataDir: string | undefined;
  /** `embedded` (default): one process, memory + `dataDir`; `etcd`: several replicas share the registry in etcd. */
  readonly store: 'embedded' | 'etcd';
  /** The etcd store's connection (used when `store` is `etcd`). */
  readonly etcd: RegistryEtcdConfig;
  /** Namespaces clients may use besides `public`; others are refused with 400. */
  readonly namespaces: readonly string[];
  /** An ephemeral instance without a beat for this long is unhealthy, ms. Default `15s` (Nacos). */
  readonly heartbeatTimeout: number;
  /** An ephemeral instance without a beat for this long is removed, ms. Default `30s` (Nacos). */
  readonly deleteTimeout: number;
  /** TCP checks of persistent instances: `interval` (default `5s`) and connect `timeout` (default `2s`), ms. */
  readonly healthCheck: { readonly interval: number; readonly timeout: number };
  readonly auth: RegistryAuthConfig;
}

/**
 * Where the `etcd` registry store keeps the registry. Lease TTLs are not a separate setting: an ephemeral
 * instance's leases take the heartbeat and delete timeouts (and its `preserved.*` metadata), rounded up to seconds.
 */
export interface RegistryEtcdConfig {
  /** Client URLs. Default `["http://127.0.0.1:2379"]`. */
  readonly endpoints: readonly string[];
  /** Key prefix; replicas with the same prefix share one registry. Default `/tidegate/registry`. */
  readonly prefix: string;
  /** Bound on connecting and on each etcd call, ms. Default `5s`. */
  readonly dialTimeout: number;
}

/** Nacos-style authentication of the registry API. */
export interface RegistryAuthConfig {
  /** Default false: every request is accepted, which is only safe on a loopback address. */
  readonly enabled: boolean;
  /** Users and their bcrypt password hashes. */
  readonly users: readonly { readonly username: string; readonly passwordHash: string }[];
  /** Lifetime of login tokens, ms. Default `5h` (Nacos' 18000 s). */
  readonly tokenTtl: number;
  /** HMAC key of the tokens, shared by replicas that must accept each other's tokens; default random per process. */
  readonly tokenSecret: string | undefined;
}
