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
  /** Process log output. */
  readonly logging: LoggingConfig;
  /** Quickstart helpers; empty unless the `demo` section is present. */
  readonly demo: DemoConfig;
  /** Absolute path of the config file that was read; undefined when running on defaults alone. */
  readonly configFile: string | undefined;
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
export type AdminConfig = ListenAddress;

/** Configured providers; a provider left out of the file is off. */
export interface ProvidersConfig {
  /** Manifest files on disk; undefined when neither the file nor `TIDEGATE_PROVIDERS_FILE_PATHS` sets it. */
  readonly file: FileProviderConfig | undefined;
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
