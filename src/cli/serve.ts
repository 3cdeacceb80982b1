import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { AdminServer } from '../admin/admin-server.js';
import { registerResilienceMetrics } from '../admin/resilience-metrics.js';
import { registerSnapshotMetrics } from '../admin/snapshot-metrics.js';
import {
  type EntryPointConfig,
  loadStaticConfig,
  parseHostPort,
  type StaticConfig,
} from '../config/static-config.js';
import { ControlLoop } from '../control/control-loop.js';
import { formatAddress } from '../core/address.js';
import { systemClock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import { startDemo } from '../demo/demo.js';
import { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import { HealthMetrics } from '../health/health-metrics.js';
import { HealthRunner } from '../health/health-runner.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { FileProvider } from '../providers/file/file-provider.js';
import type { Provider } from '../providers/provider.js';
import { REGISTRY_DEBOUNCE_MS, RegistryProvider } from '../providers/registry/registry-provider.js';
import { DnsCache } from '../proxy/dns-cache.js';
import { EntryPoint, type EntryPointOptions } from '../proxy/entry-point.js';
import { ProxyHandler } from '../proxy/proxy-handler.js';
import { generateSelfSigned } from '../proxy/self-signed.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { createRegistryStore, RegistryRunner } from '../registry/registry-runner.js';
import type { RegistryStore } from '../registry/store.js';
import { ResilienceRegistry } from '../resilience/resilience-registry.js';
import { SnapshotHolder } from '../runtime/holder.js';
import type { ServeFlags } from './main.js';
import { ObservabilitySetup } from './observability-setup.js';
import { onShutdownSignal } from './signals.js';
import { translateOptionsFrom } from './translate-options.js';

/** Endpoints that left the table keep their pools this long, so requests still on the old table can finish. */
const POOL_RETIRE_GRACE_MS = 5_000;

/**
 * The composition root of `tidegate serve`: builds every runner from the static configuration, starts them in
 * dependency order (control first so the first table is being built while listeners bind), and on SIGTERM/SIGINT
 * drains the entry points and stops everything in reverse order.
 */
export async function runServe(flags: ServeFlags): Promise<void> {
  const loadConfig = (): Promise<StaticConfig> =>
    loadStaticConfig({
      configPath: flags.config,
      env: process.env,
      overrides: {
        adminAddress: flags.adminAddress,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        entryPointAddresses: parseEntryPointFlags(flags.entrypoint ?? []),
        filePaths: flags.filePath,
        drainTimeout: flags.drainTimeout,
      },
    });
  const config = await loadConfig();
  const logger = createLogger({ level: config.logging.level, format: config.logging.format });
  const startedAt = Date.now();
  const abort = new AbortController();
  const started: Runner[] = [];
  const start = async (runner: Runner): Promise<void> => {
    started.push(runner);
    await runner.start(abort.signal);
  };

  try {
    const demoRunners = await startDemo(config.demo, logger);
    for (const runner of demoRunners) started.push(runner);

    // Before the control loop: the registry loads its persisted content and listens before routes refer to it.
    let registryStore: RegistryStore | null = null;
    if (config.registry.enabled) {
      const registry = new RegistryRunner(config.registry, {
        store: await createRegistryStore(config.registry, systemClock),
        clock: systemClock,
        logger: logger.child({ component: 'registry' }),
      });
      await start(registry);
      registryStore = registry.store;
      const bound = registry.address();
      logger.info({ address: bound && formatAddress(bound) }, 'registry (Nacos API) listening');
    }

    const holder = new SnapshotHolder();
    const metrics = new GatewayMetrics();
    registerSnapshotMetrics(metrics.registry, holder);
    registerResilienceMetrics(metrics.registry, holder);
    const observability = new ObservabilitySetup(config, metrics, logger, loadConfig);
    await start(observability);
    const pools = new UpstreamPools();
    const providers = buildProviders(config, logger);
    if (registryStore)
      providers.push(new RegistryProvider({ store: registryStore, debounceMs: REGISTRY_DEBOUNCE_MS }));
    // Loaded only in controller mode: @kubernetes/client-node alone costs ~70 MiB of RSS and ~0.4 s of startup.
    const kubernetes = config.providers.kubernetes
      ? new (await import('./kubernetes-controller.js')).KubernetesController(
          config.providers.kubernetes,
          logger,
        )
      : null;
    if (kubernetes) providers.push(kubernetes.provider);
    // Cookie affinity values are keyed hashes: replicas (and restarts) must share the key to honour each
    // other's cookies; without one, a random per-process key still never reveals endpoint addresses.
    const endpointState = new EndpointStateRegistry({ affinityKey: config.loadBalancing?.affinityKey });
    const control = new ControlLoop(
      {
        providers,
        translateOptions: translateOptionsFrom(config),
        debounceMs: config.providers.file?.debounce ?? 100,
      },
      {
        holder,
        state: endpointState,
        resilience: new ResilienceRegistry(),
        reloads: metrics,
        logger,
        clock: systemClock,
      },
    );
    retirePoolsAfterSwaps(holder, pools);
    // Health starts before control so that the first table's endpoints are checked as soon as it is swapped in.
    const health = new HealthRunner(
      endpointState,
      systemClock,
      logger.child({ component: 'health' }),
      new HealthMetrics(metrics.registry, endpointState),
    );
    holder.onSwap((table) => health.update(table.ir));
    await start(health);
    await start(control);
    for (const runner of kubernetes?.runners(holder) ?? []) await start(runner);

    const entryPoints: EntryPoint[] = [];
    const dns = new DnsCache();
    // HTTPS entry points bind first so that HTTP→HTTPS redirects can name the port actually bound (port 0 in tests).
    let httpsPort: number | null = null;
    const ordered = [...config.entryPoints].sort(
      (a, b) => Number(b.protocol === 'https') - Number(a.protocol === 'https'),
    );
    for (const entry of ordered) {
      const handler: ProxyHandler = new ProxyHandler(
        {
          entryPoint: entry.name,
          secure: entry.protocol === 'https',
          trustedProxies: entry.forwardedHeaders.trustedProxies,
          httpsPort,
        },
        {
          holder,
          pools,
          metrics,
          logger,
          dns,
          accessLog: observability.accessLog(entry.name),
          tracing: observability.tracing,
        },
      );
      const entryPoint: EntryPoint = new EntryPoint(await entryPointOptions(entry), {
        handler,
        holder,
        metrics,
        logger,
      });
      entryPoints.push(entryPoint);
      await start(entryPoint);
      if (entry.protocol === 'https') httpsPort ??= entryPoint.address()?.port ?? entry.port;
    }

    const adminListen = { ...parseHostPort(config.admin.address), token: config.admin.token };
    const admin = new AdminServer(adminListen, {
      holder,
      metrics,
      liveStats: observability.liveStats,
      registry: registryStore,
      readiness: () => control.ready,
      info: () => ({
        entryPoints: config.entryPoints.map((e) => ({
          name: e.name,
          address: e.address,
          protocol: e.protocol,
        })),
        providers: providers.map((p) => p.name),
        startedAt,
        lastReload: control.lastReload,
      }),
      logger,
    });
    await start(admin);

    logStartupSummary(logger, entryPoints, admin, providers, observability);
    const signal = await onShutdownSignal();
    logger.info(
      { signal, drainTimeoutMs: config.shutdown.drainTimeout },
      'shutting down: draining in-flight requests',
    );
    await Promise.all(entryPoints.map((e) => e.close(config.shutdown.drainTimeout)));
    await pools.close();
  } finally {
    abort.abort();
    for (const runner of started.reverse()) {
      await runner
        .close()
        .catch((error: unknown) => logger.error({ err: error, runner: runner.name }, 'close failed'));
    }
    logger.info('stopped');
    logger.flush();
  }
}

function parseEntryPointFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new Error(`--entrypoint expects name=host:port, got "${value}"`);
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}

function buildProviders(config: StaticConfig, logger: Logger): Provider[] {
  const providers: Provider[] = [];
  const file = config.providers.file;
  if (file) {
    providers.push(
      new FileProvider({
        paths: file.paths,
        watch: file.watch,
        debounceMs: file.debounce,
        logger: logger.child({ provider: 'file' }),
      }),
    );
  }
  return providers;
}

async function entryPointOptions(entry: EntryPointConfig): Promise<EntryPointOptions> {
  let tls: EntryPointOptions['tls'];
  if (entry.protocol === 'https') {
    const { certFile, keyFile } = entry.tls ?? {};
    // Like Traefik's default certificate: clients without a matching SNI name still complete a handshake.
    const material =
      certFile && keyFile
        ? { certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') }
        : await generateSelfSigned(['tidegate.default.invalid']);
    tls = {
      defaultCertPem: material.certPem,
      defaultKeyPem: material.keyPem,
      minVersion: entry.tls?.minVersion ?? 'TLSv1.2',
    };
  }
  return {
    name: entry.name,
    host: entry.host,
    port: entry.port,
    protocol: entry.protocol,
    tls,
    maxHeaderSize: entry.maxHeaderSize,
    requestTimeoutMs: entry.requestTimeout,
    keepAliveTimeoutMs: entry.keepAliveTimeout,
  };
}

function retirePoolsAfterSwaps(holder: SnapshotHolder, pools: UpstreamPools): void {
  let timer: NodeJS.Timeout | null = null;
  holder.onSwap(() => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      const table = holder.current;
      if (!table) return;
      const live = new Set<string>();
      for (const backend of table.backends.values())
        for (const endpoint of backend.endpoints) live.add(endpoint.name);
      pools.retain(live);
    }, POOL_RETIRE_GRACE_MS);
    timer.unref();
  });
}

/** One screen: where it listens (bound addresses, so port 0 shows the real port) and where routes come from. */
function logStartupSummary(
  logger: Logger,
  entryPoints: readonly EntryPoint[],
  admin: AdminServer,
  providers: readonly Provider[],
  observability: ObservabilitySetup,
): void {
  const hostPort = (address: AddressInfo | null): string => (address === null ? '-' : formatAddress(address));
  logger.info(
    {
      entryPoints: entryPoints.map((e) => `${e.name} ${e.protocol}://${hostPort(e.address())}`),
      admin: `http://${hostPort(admin.address())}`,
      providers: providers.map((p) => p.name),
      ...observability.summary(),
    },
    'tidegate is up',
  );
}
