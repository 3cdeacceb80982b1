import type { StaticConfig } from '../config/static-config.js';
import type { Runner } from '../core/lifecycle.js';
import { AccessLog } from '../observability/access-log.js';
import { AccessLogSinks } from '../observability/access-log-sinks.js';
import { LiveStats } from '../observability/live-stats.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { Tracing } from '../observability/tracing.js';
import { UpstreamConnectMetrics } from '../observability/upstream-connect-metrics.js';

/** Top-level settings SIGHUP applies; every other change needs a restart (listeners, providers are bound). */
const RELOADABLE = 'logging.level, entryPoints[].accessLog (of entry points that had one at start)';

/**
 * The observability runners of `tidegate serve` beyond the metrics registry: access logs (one per entry point
 * that configures one, sharing writers per destination), tracing, the admin API's live statistics and the
 * upstream connect timings. Owns the operator signals: SIGUSR1 reopens access log files (logrotate), SIGHUP
 * re-reads the static configuration and applies what is safe to change in place.
 */
export class ObservabilitySetup implements Runner {
  readonly name = 'observability';
  readonly tracing: Tracing | null;
  readonly liveStats: LiveStats;
  readonly #sinks = new AccessLogSinks();
  readonly #accessLogs = new Map<string, AccessLog>();
  readonly #connect: UpstreamConnectMetrics;
  readonly #logger: Logger;
  readonly #reload: () => Promise<StaticConfig>;
  #config: StaticConfig;

  /** @param reload reads the static configuration again, as at start (file, environment, flags) */
  constructor(
    config: StaticConfig,
    metrics: GatewayMetrics,
    logger: Logger,
    reload: () => Promise<StaticConfig>,
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#reload = reload;
    for (const entry of config.entryPoints) {
      if (entry.accessLog === undefined) continue;
      this.#accessLogs.set(
        entry.name,
        new AccessLog({ entryPoint: entry.name, ...entry.accessLog }, this.#sinks.get(entry.accessLog.path)),
      );
    }
    const tracing = config.tracing;
    this.tracing =
      tracing === undefined
        ? null
        : new Tracing({
            serviceName: tracing.serviceName,
            sampleRate: tracing.sampleRate,
            otlp: tracing.otlp
              ? {
                  endpoint: tracing.otlp.endpoint,
                  headers: tracing.otlp.headers,
                  timeoutMs: tracing.otlp.timeout,
                }
              : null,
          });
    this.liveStats = new LiveStats(metrics);
    this.#connect = new UpstreamConnectMetrics(metrics.registry);
  }

  /** The access log of entry point `name`, or null when it has none. */
  accessLog(name: string): AccessLog | null {
    return this.#accessLogs.get(name) ?? null;
  }

  /** For the startup summary. */
  summary(): { readonly accessLogs: readonly string[]; readonly tracing: string } {
    const tracing = this.#config.tracing;
    return {
      accessLogs: [...this.#accessLogs.keys()].map((name) => {
        const entry = this.#config.entryPoints.find((e) => e.name === name);
        return `${name} ${entry?.accessLog?.format} → ${entry?.accessLog?.path}`;
      }),
      tracing:
        tracing === undefined
          ? 'off'
          : `sample ${tracing.sampleRate}${tracing.otlp ? ` → ${tracing.otlp.endpoint}` : ' (not exported)'}`,
    };
  }

  async start(): Promise<void> {
    this.#connect.start();
    process.on('SIGUSR1', this.#onReopen);
    process.on('SIGHUP', this.#onReload);
  }

  async close(): Promise<void> {
    process.off('SIGUSR1', this.#onReopen);
    process.off('SIGHUP', this.#onReload);
    this.#connect.close();
    for (const accessLog of this.#accessLogs.values()) accessLog.flush();
    this.#sinks.close();
    await this.tracing?.close().catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'exporting the last spans failed');
    });
  }

  readonly #onReopen = (): void => {
    for (const accessLog of this.#accessLogs.values()) accessLog.flush();
    this.#sinks.reopen();
    this.#logger.info({ dropped: this.#sinks.dropped }, 'SIGUSR1: access log files reopened');
  };

  readonly #onReload = (): void => {
    this.#reload().then(
      (next) => this.#apply(next),
      (error: unknown) =>
        this.#logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'SIGHUP: the static configuration is invalid; nothing changed',
        ),
    );
  };

  #apply(next: StaticConfig): void {
    const previous = this.#config;
    this.#logger.level = next.logging.level;
    const restart: string[] = [];
    for (const entry of next.entryPoints) {
      const accessLog = this.#accessLogs.get(entry.name);
      if (accessLog !== undefined && entry.accessLog !== undefined) {
        accessLog.reconfigure(entry.accessLog, this.#sinks.get(entry.accessLog.path));
      } else if ((accessLog === undefined) !== (entry.accessLog === undefined)) {
        restart.push(`entryPoints[${entry.name}].accessLog`);
      }
    }
    const fixed = (config: StaticConfig): string =>
      JSON.stringify({
        ...config,
        logging: { ...config.logging, level: null },
        entryPoints: config.entryPoints.map((e) => ({ ...e, accessLog: null })),
      });
    if (fixed(previous) !== fixed(next)) restart.push('listeners, providers, admin or tracing settings');
    this.#config = next;
    this.#logger.info(
      { reloadable: RELOADABLE, needsRestart: restart.length > 0 ? restart : undefined },
      restart.length > 0
        ? 'SIGHUP: static configuration applied in part; the rest takes effect after a restart'
        : 'SIGHUP: static configuration applied',
    );
  }
}
