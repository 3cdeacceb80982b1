import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { ConfigErrors } from './config-errors.js';
import { formatPath, isUnder } from './field-path.js';
import { lineOf } from './locate.js';
import { DEFAULT_ENTRY_POINTS, type ParsedConfig, staticConfigSchema } from './schema.js';
import type { KubernetesProviderConfig, StaticConfig } from './types.js';

export { parseHostPort } from './host-port.js';
export type {
  AccessLogConfig,
  AdminConfig,
  DemoConfig,
  EntryPointConfig,
  EntryPointProtocol,
  FileProviderConfig,
  ForwardedHeadersConfig,
  IngressConfig,
  IngressStatusConfig,
  KubernetesProviderConfig,
  LeaderElectionConfig,
  ListenAddress,
  LogFormat,
  LoggingConfig,
  LogLevel,
  ProvidersConfig,
  RegistryAuthConfig,
  RegistryConfig,
  RegistryEtcdConfig,
  SelfSignedSecretConfig,
  ShutdownConfig,
  StaticConfig,
  StatusRange,
  TlsConfig,
  TlsMinVersion,
  TracingConfig,
  UpstreamDefaults,
  WhoamiConfig,
} from './types.js';

/** Values from command-line flags; they win over the environment, which wins over the file. */
export interface ConfigOverrides {
  adminAddress?: string | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  /** Entry point name → listen address. */
  entryPointAddresses?: Record<string, string> | undefined;
  /** Replace `providers.file.paths` (relative to the working directory). */
  filePaths?: string[] | undefined;
  drainTimeout?: string | undefined;
}

/** What `loadStaticConfig` reads. */
export interface StaticConfigInput {
  /** `tidegate.yaml`; without it the configuration is defaults plus environment plus overrides. */
  configPath?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  overrides?: ConfigOverrides | undefined;
}

type RawMap = Record<string, unknown>;

/** Where the raw configuration was read from, to point each problem at its line. */
interface Located {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** A value set from outside the file: its field and the flag or variable that set it. */
interface OverrideSource {
  readonly field: string;
  readonly source: string;
}

const ENTRY_POINT_ENV = /^TIDEGATE_ENTRYPOINT_(.+)_ADDRESS$/;

/**
 * Loads the static configuration: `tidegate.yaml` (when given) < environment < flags < nothing (schema defaults
 * fill the rest). Every problem is collected and thrown at once as {@link ConfigErrors}, each line reading
 * `file:line: field.path: message` (or naming the flag / variable an override came from). Relative paths in the
 * file resolve against its directory; paths from the environment or flags against the working directory.
 * @throws ConfigErrors
 */
export async function loadStaticConfig(input: StaticConfigInput): Promise<StaticConfig> {
  const cwd = process.cwd();
  const configFile = input.configPath === undefined ? undefined : resolve(cwd, input.configPath);
  const problems: ConfigError[] = [];
  let raw: unknown = {};
  let located: Located | undefined;
  if (input.configPath !== undefined && configFile !== undefined) {
    const read = await readConfigFile(input.configPath, configFile);
    if (read instanceof ConfigErrors) throw read;
    raw = read.raw;
    located = read.located;
  }

  const sources: OverrideSource[] = [];
  if (isRecord(raw))
    applyOverrides(raw, collectOverrides(input.env, input.overrides ?? {}, cwd), sources, problems);
  checkCrossFields(raw, problems, located, sources);
  const result = staticConfigSchema.safeParse(raw);
  if (!result.success)
    problems.push(...result.error.issues.flatMap((issue) => issueProblems(issue, located, sources)));
  if (problems.length > 0 || !result.success) throw new ConfigErrors(sortByLine(problems));
  return toStaticConfig(result.data, configFile === undefined ? cwd : dirname(configFile), configFile);
}

async function readConfigFile(
  shown: string,
  absolute: string,
): Promise<{ raw: unknown; located: Located } | ConfigErrors> {
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return new ConfigErrors([
      new ConfigError(`cannot read the configuration file: ${reason}`, { field: '', file: shown }),
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return new ConfigErrors(
      doc.errors.map(
        (error) =>
          new ConfigError(`YAML syntax error: ${error.message}`, {
            field: '',
            file: shown,
            line: lines.linePos(error.pos[0]).line,
          }),
      ),
    );
  }
  // An empty file (or one with comments only) means "all defaults".
  return { raw: doc.toJS() ?? {}, located: { file: shown, doc, lines } };
}

/** One value to write into the raw configuration before validation. */
interface Override {
  /** A field path, or the name of the entry point whose address to set (resolved against the entry point list). */
  readonly path: readonly (string | number)[] | { readonly entryPoint: string };
  readonly value: unknown;
  readonly source: string;
}

/** Environment first, then flags, so that applying them in order lets flags win. */
function collectOverrides(env: StaticConfigInput['env'], flags: ConfigOverrides, cwd: string): Override[] {
  const out: Override[] = [];
  const fromEnv = (name: string): string | undefined => {
    const value = env[name]?.trim();
    // An empty variable counts as unset, as in most shells' `${VAR:-default}` and Kubernetes `env` with `value: ""`.
    return value === '' ? undefined : value;
  };
  const add = (path: Override['path'], value: unknown, source: string): void => {
    if (value !== undefined) out.push({ path, value, source });
  };
  const paths = (list: readonly string[] | undefined): string[] | undefined =>
    list && list.length > 0 ? list.map((path) => resolve(cwd, path)) : undefined;

  add(['admin', 'address'], fromEnv('TIDEGATE_ADMIN_ADDRESS'), 'TIDEGATE_ADMIN_ADDRESS');
  for (const name of Object.keys(env).sort()) {
    const match = ENTRY_POINT_ENV.exec(name);
    if (match) add({ entryPoint: match[1] as string }, fromEnv(name), name);
  }
  add(['logging', 'level'], fromEnv('TIDEGATE_LOG_LEVEL'), 'TIDEGATE_LOG_LEVEL');
  add(['loadBalancing', 'affinityKey'], fromEnv('TIDEGATE_AFFINITY_KEY'), 'TIDEGATE_AFFINITY_KEY');
  add(['logging', 'format'], fromEnv('TIDEGATE_LOG_FORMAT'), 'TIDEGATE_LOG_FORMAT');
  add(
    ['shutdown', 'drainTimeout'],
    fromEnv('TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT'),
    'TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT',
  );
  const envPaths = fromEnv('TIDEGATE_PROVIDERS_FILE_PATHS')
    ?.split(',')
    .map((path) => path.trim())
    .filter((path) => path !== '');
  add(['providers', 'file', 'paths'], paths(envPaths), 'TIDEGATE_PROVIDERS_FILE_PATHS');

  add(['admin', 'address'], flags.adminAddress, '--admin-address');
  for (const [name, address] of Object.entries(flags.entryPointAddresses ?? {})) {
    add({ entryPoint: name }, address, `--entrypoint ${name}`);
  }
  add(['logging', 'level'], flags.logLevel, '--log-level');
  add(['logging', 'format'], flags.logFormat, '--log-format');
  add(['shutdown', 'drainTimeout'], flags.drainTimeout, '--drain-timeout');
  add(['providers', 'file', 'paths'], paths(flags.filePaths), '--file-path');
  return out;
}

function applyOverrides(
  raw: RawMap,
  overrides: readonly Override[],
  sources: OverrideSource[],
  problems: ConfigError[],
): void {
  for (const override of overrides) {
    let path: readonly (string | number)[];
    if (!('entryPoint' in override.path)) {
      path = override.path;
    } else {
      const wanted = override.path.entryPoint;
      // Entry points absent from the file are the defaults; materialise them so `web` can be overridden.
      raw.entryPoints ??= DEFAULT_ENTRY_POINTS.map((entry) => ({ ...entry }));
      if (!Array.isArray(raw.entryPoints)) continue;
      const index = raw.entryPoints.findIndex(
        (entry) => isRecord(entry) && matchesEntryPoint(entry.name, wanted),
      );
      if (index < 0) {
        const known = raw.entryPoints.flatMap((entry) =>
          isRecord(entry) && typeof entry.name === 'string' ? [entry.name] : [],
        );
        problems.push(
          new ConfigError(`no entry point named "${wanted}" (known: ${known.join(', ') || 'none'})`, {
            field: override.source,
          }),
        );
        continue;
      }
      path = ['entryPoints', index, 'address'];
    }
    if (setIn(raw, path, override.value)) sources.push({ field: formatPath(path), source: override.source });
  }
}

/** Flags name entry points as written; variables upper-case them with `-` as `_` (`TIDEGATE_ENTRYPOINT_WEB_TLS_ADDRESS`). */
function matchesEntryPoint(name: unknown, wanted: string): boolean {
  if (typeof name !== 'string') return false;
  return name === wanted || name.toUpperCase().replaceAll('-', '_') === wanted;
}

/**
 * Writes `value` at `path`, creating missing maps. Returns false (leaving the file's value for the schema to
 * report) when something on the way is not a map.
 */
function setIn(target: RawMap, path: readonly (string | number)[], value: unknown): boolean {
  let node: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const container = node as RawMap;
    container[key] ??= {};
    node = container[key];
    if (!isRecord(node) && !Array.isArray(node)) return false;
  }
  (node as RawMap)[path[path.length - 1] as string | number] = value;
  return true;
}

/** Checks that span fields, on the raw input so they are reported together with the schema's findings. */
function checkCrossFields(
  raw: unknown,
  problems: ConfigError[],
  located: Located | undefined,
  sources: readonly OverrideSource[],
) {
  if (!isRecord(raw) || !Array.isArray(raw.entryPoints)) return;
  const firstByName = new Map<string, number>();
  raw.entryPoints.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) return;
    if (typeof entry.name === 'string') {
      const first = firstByName.get(entry.name);
      if (first === undefined) firstByName.set(entry.name, index);
      else {
        problems.push(
          problem(
            ['entryPoints', index, 'name'],
            `duplicate entry point name "${entry.name}" (also entryPoints[${first}])`,
            located,
            sources,
          ),
        );
      }
    }
    const protocol = entry.protocol ?? 'http';
    if (entry.tls !== undefined && protocol !== 'https') {
      problems.push(
        problem(
          ['entryPoints', index, 'tls'],
          `tls is only allowed when protocol is "https" (got "${String(protocol)}")`,
          located,
          sources,
          true,
        ),
      );
    }
    if (isRecord(entry.tls) && (entry.tls.certFile === undefined) !== (entry.tls.keyFile === undefined)) {
      problems.push(
        problem(
          ['entryPoints', index, 'tls'],
          'set both certFile and keyFile, or neither (for a self-signed default certificate)',
          located,
          sources,
        ),
      );
    }
  });
}

function issueProblems(
  issue: z.core.$ZodIssue,
  located: Located | undefined,
  sources: readonly OverrideSource[],
): ConfigError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problem([...issue.path, key], 'unknown field', located, sources, true));
  }
  return [problem(issue.path, issue.message, located, sources)];
}

/** A problem at `path`, pointed at the flag or variable that set it, otherwise at its line in the file. */
function problem(
  path: readonly PropertyKey[],
  message: string,
  located: Located | undefined,
  sources: readonly OverrideSource[],
  key = false,
): ConfigError {
  const field = formatPath(path);
  // The last override wins, so the last matching source is the one whose value was validated.
  const source = sources.findLast((s) => isUnder(field, s.field));
  if (source) return new ConfigError(`${message} (set by ${source.source})`, { field });
  if (!located) return new ConfigError(message, { field });
  return new ConfigError(message, {
    field,
    file: located.file,
    line: lineOf(located.doc, located.lines, path, key),
  });
}

function sortByLine(problems: readonly ConfigError[]): ConfigError[] {
  return [...problems].sort(
    (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
  );
}

/** The documented output shape, with every path absolute. */
function toStaticConfig(parsed: ParsedConfig, baseDir: string, configFile: string | undefined): StaticConfig {
  const path = (value: string): string => resolve(baseDir, value);
  const file = parsed.providers.file;
  return {
    entryPoints: parsed.entryPoints.map((entry) => ({
      ...entry.address,
      name: entry.name,
      protocol: entry.protocol,
      tls:
        entry.protocol === 'https'
          ? {
              certFile: entry.tls?.certFile === undefined ? undefined : path(entry.tls.certFile),
              keyFile: entry.tls?.keyFile === undefined ? undefined : path(entry.tls.keyFile),
              minVersion: entry.tls?.minVersion ?? 'TLSv1.2',
            }
          : undefined,
      forwardedHeaders: { trustedProxies: entry.forwardedHeaders.trustedProxies },
      maxHeaderSize: entry.maxHeaderSize,
      requestTimeout: entry.requestTimeout,
      keepAliveTimeout: entry.keepAliveTimeout,
      accessLog: entry.accessLog && {
        format: entry.accessLog.format,
        path: entry.accessLog.path === 'stdout' ? 'stdout' : path(entry.accessLog.path),
        sample: entry.accessLog.sample,
        statuses: entry.accessLog.statuses,
      },
    })),
    admin: { ...parsed.admin.address, token: parsed.admin.token },
    tracing: parsed.tracing && {
      serviceName: parsed.tracing.serviceName,
      sampleRate: parsed.tracing.sampleRate,
      otlp: parsed.tracing.otlp && {
        endpoint: parsed.tracing.otlp.endpoint,
        headers: parsed.tracing.otlp.headers,
        timeout: parsed.tracing.otlp.timeout,
      },
    },
    providers: {
      file: file ? { paths: file.paths.map(path), watch: file.watch, debounce: file.debounce } : undefined,
      kubernetes: kubernetesConfig(parsed.providers.kubernetes, path),
    },
    ingress: { ...parsed.ingress },
    defaults: { ...parsed.defaults },
    shutdown: { drainTimeout: parsed.shutdown.drainTimeout },
    loadBalancing: { affinityKey: parsed.loadBalancing.affinityKey },
    logging: { level: parsed.logging.level, format: parsed.logging.format },
    registry: {
      ...parsed.registry.address,
      enabled: parsed.registry.enabled,
      dataDir: parsed.registry.dataDir === undefined ? undefined : path(parsed.registry.dataDir),
      store: parsed.registry.store,
      etcd: { ...parsed.registry.etcd },
      namespaces: parsed.registry.namespaces,
      heartbeatTimeout: parsed.registry.heartbeatTimeout,
      deleteTimeout: parsed.registry.deleteTimeout,
      healthCheck: { ...parsed.registry.healthCheck },
      auth: {
        enabled: parsed.registry.auth.enabled,
        users: parsed.registry.auth.users,
        tokenTtl: parsed.registry.auth.tokenTtl,
        tokenSecret: parsed.registry.auth.tokenSecret,
      },
    },
    demo: {
      whoami: parsed.demo.whoami.map((backend) => ({ ...backend.address, name: backend.name })),
      selfSignedSecrets: parsed.demo.selfSignedSecrets.map((secret) => ({
        ...secret,
        path: path(secret.path),
      })),
    },
    configFile,
  };
}

function kubernetesConfig(
  kube: ParsedConfig['providers']['kubernetes'],
  path: (value: string) => string,
): KubernetesProviderConfig | undefined {
  if (!kube) return undefined;
  const [namespace, name] = kube.status.publishService?.split('/') ?? [];
  return {
    kubeconfig: kube.kubeconfig === undefined ? undefined : path(kube.kubeconfig),
    namespaces: kube.namespaces,
    labelSelector: kube.labelSelector,
    debounce: kube.debounce,
    pageSize: kube.pageSize,
    status: {
      addresses: kube.status.addresses,
      publishService: namespace && name ? { namespace, name } : undefined,
      resync: kube.status.resync,
    },
    leaderElection: {
      namespace: kube.leaderElection.namespace,
      leaseName: kube.leaderElection.leaseName,
      identity: kube.leaderElection.identity,
      leaseDuration: kube.leaderElection.leaseDuration,
      renewDeadline: kube.leaderElection.renewDeadline,
      retryPeriod: kube.leaderElection.retryPeriod,
    },
  };
}

function isRecord(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
