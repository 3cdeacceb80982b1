import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestMetrics } from './request-metrics.js';

type RequestLabel = 'entrypoint' | 'route' | 'service' | 'method' | 'code';
type DurationLabel = 'entrypoint' | 'route' | 'service';

/** Seconds; from 1 ms (a cached or local answer) to 10 s (beyond that the exact value hardly matters). */
const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The methods of RFC 9110 §9 plus PATCH (RFC 5789) keep their name; anything else is `OTHER`, so a client
 * sending made-up methods cannot grow the label set.
 */
const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'OTHER',
] as const;
const OTHER_METHOD = METHODS.length - 1;

/** Method names are case-sensitive (RFC 9110 §9.1), so `get` is `OTHER`. */
function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return OTHER_METHOD;
  }
}

/** One `tidegate_requests_total` series: a plain number on the request path, handed to prom-client on scrape. */
class RequestCountSeries {
  readonly labels: Readonly<Record<RequestLabel, string>>;
  count = 0;
  /** How much of `count` prom-client has already been given. */
  exported = 0;

  constructor(labels: Readonly<Record<RequestLabel, string>>) {
    this.labels = labels;
  }
}

/** One histogram series accumulated in plain numbers (see `AccumulatedHistogram`). */
export class HistogramSeries {
  readonly labels: Readonly<Record<DurationLabel, string>>;
  /** `labels` plus `le`, one per bucket and a last one for `+Inf`, built once rather than on every scrape. */
  readonly bucketLabels: readonly Readonly<Record<DurationLabel | 'le', string | number>>[];
  /** Non-cumulative: `buckets[i]` counts observations in (DURATION_BUCKETS[i-1], DURATION_BUCKETS[i]]. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);
  sum = 0;
  count = 0;

  constructor(labels: Readonly<Record<DurationLabel, string>>) {
    this.labels = labels;
    const bucketLabels: Readonly<Record<DurationLabel | 'le', string | number>>[] = [];
    for (const le of DURATION_BUCKETS) bucketLabels.push({ ...labels, le });
    bucketLabels.push({ ...labels, le: '+Inf' });
    this.bucketLabels = bucketLabels;
  }

  observe(seconds: number): void {
    // A clock step or a caller bug must not poison `_sum` with NaN or a negative value.
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; the comparison maps NaN to 0.
    const value = seconds >= 0 ? seconds : 0;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (value <= (DURATION_BUCKETS[i] as number)) {
        this.buckets[i] = (this.buckets[i] as number) + 1;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/** A counter kept as a plain number on the request path and handed to prom-client as increments on scrape. */
class CounterCell {
  value = 0;
  exported = 0;

  /** The increase since the previous call. */
  take(): number {
    const delta = this.value - this.exported;
    this.exported = this.value;
    return delta;
  }
}

/**
 * The per (entry point, route, backend) state: the duration histogram, the request counts by method and code,
 * the body bytes and the upstream time to first byte.
 */
class RouteSeries extends HistogramSeries {
  /** Keyed by `status * METHODS.length + methodIndex`: a number, so lookups build no string. */
  readonly requests = new Map<number, RequestCountSeries>();
  /** Responses with a 5xx status (gateway or upstream), for the live error rate. */
  errors = 0;
  readonly requestBytes = new CounterCell();
  readonly responseBytes = new CounterCell();
  /** Upstream tries repeated after a failure, added when each request finishes. */
  readonly retries = new CounterCell();
  /** Request start to the upstream's response head; only requests that reached an upstream. */
  readonly firstByte: HistogramSeries;

  constructor(labels: Readonly<Record<DurationLabel, string>>) {
    super(labels);
    this.firstByte = new HistogramSeries(labels);
  }
}

/** What `GatewayMetrics.forEachRoute` shows of one series: read-only numbers, valid during the callback. */
export interface RouteTotals {
  readonly entryPoint: string;
  readonly route: string;
  readonly service: string;
  /** Requests answered so far. */
  readonly count: number;
  /** Of which with a 5xx status. */
  readonly errors: number;
  /** Non-cumulative duration buckets, upper bounds in `DURATION_BUCKETS_SECONDS`. */
  readonly buckets: Float64Array;
}

/** Upper bounds (seconds) of the duration histogram buckets. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = DURATION_BUCKETS;

type DurationExport = Awaited<ReturnType<Histogram<DurationLabel | 'le'>['get']>>;

/**
 * `tidegate_request_duration_seconds`, fed from the RouteSeries accumulators instead of `observe`: prom-client's
 * `observe` builds a label hash string and a value object per call, which the request path must not pay.
 * The Registry reads a histogram through `getForPromString` (text) or `get` (JSON, cluster aggregation); both
 * return the same cumulative buckets computed at scrape time.
 */
class AccumulatedHistogram extends Histogram<DurationLabel | 'le'> {
  readonly #series: () => Iterable<HistogramSeries>;
  readonly #name: string;
  readonly #help: string;

  constructor(registry: Registry, name: string, help: string, series: () => Iterable<HistogramSeries>) {
    super({
      name,
      help,
      labelNames: ['entrypoint', 'route', 'service'],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    });
    this.#series = series;
    this.#name = name;
    this.#help = help;
  }

  override async get(): Promise<DurationExport> {
    return this.#export();
  }

  async getForPromString(): Promise<DurationExport> {
    return this.#export();
  }

  #export(): DurationExport {
    const values: DurationExport['values'] = [];
    const bucketName = `${this.#name}_bucket`;
    for (const series of this.#series()) {
      let cumulative = 0;
      for (let i = 0; i < series.buckets.length; i++) {
        cumulative += series.buckets[i] as number;
        values.push({ metricName: bucketName, labels: series.bucketLabels[i] ?? {}, value: cumulative });
      }
      values.push({
        metricName: bucketName,
        labels: series.bucketLabels[series.buckets.length] ?? {},
        value: series.count,
      });
      values.push({ metricName: `${this.#name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.#name}_count`, labels: series.labels, value: series.count });
    }
    // prom-client's typings declare `type` as a numeric enum (and a `collect` member) while the library itself
    // produces and prints the string; the cast states what lib/histogram.js returns.
    return {
      name: this.#name,
      help: this.#help,
      type: 'histogram',
      aggregator: 'sum',
      values,
    } as unknown as DurationExport;
  }
}

/** Per entry point open-connection count, with its label object built once. */
interface ConnectionCount {
  readonly labels: Readonly<Record<'entrypoint', string>>;
  open: number;
}

export interface GatewayMetricsOptions {
  /**
   * Register prom-client's process and Node.js metrics (`process_*`, `nodejs_*`, unprefixed so that stock
   * dashboards work). Default true; each registration adds a GC observer for the life of the process.
   */
  readonly defaultMetrics?: boolean | undefined;
}

/**
 * The gateway's Prometheus metrics, in a Registry of their own. The request path (`requestFinished`,
 * `connectionChanged`) only bumps numbers in cached series objects: after the first request with a given label
 * set it allocates nothing. Labels are bounded: entry point, route and backend names come from configuration
 * (never raw paths or hosts), methods outside the standard set are `OTHER`.
 */
export class GatewayMetrics implements RequestMetrics {
  readonly registry = new Registry();
  /** entry point → route → backend → series. Nested Maps: ~9× faster than a concatenated key, which allocates. */
  readonly #routes = new Map<string, Map<string, Map<string, RouteSeries>>>();
  readonly #connections = new Map<string, ConnectionCount>();
  readonly #reloads: Counter<'result'>;
  readonly #lastReloadSuccess: Gauge;
  readonly #rejectedObjects: Gauge;
  readonly #snapshotVersion: Gauge;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    const routes = this.#routes;
    const connections = this.#connections;
    new Counter<RequestLabel>({
      name: 'tidegate_requests_total',
      help: 'HTTP requests answered, by entry point, route, backend service, method and status code.',
      labelNames: ['entrypoint', 'route', 'service', 'method', 'code'],
      registers,
      collect() {
        for (const series of allRouteSeries(routes)) {
          for (const requests of series.requests.values()) {
            if (requests.count === requests.exported) continue;
            this.inc(requests.labels, requests.count - requests.exported);
            requests.exported = requests.count;
          }
        }
      },
    });
    new AccumulatedHistogram(
      this.registry,
      'tidegate_request_duration_seconds',
      'Time from the start of a request to its last response byte, by entry point, route and backend service.',
      () => allRouteSeries(routes),
    );
    new AccumulatedHistogram(
      this.registry,
      'tidegate_upstream_first_byte_seconds',
      'Time from the start of a request to the response head of the upstream, by entry point, route and backend service.',
      () => firstByteSeries(routes),
    );
    new Counter<DurationLabel>({
      name: 'tidegate_request_body_bytes_total',
      help: 'Request body bytes relayed to upstreams, by entry point, route and backend service.',
      labelNames: ['entrypoint', 'route', 'service'],
      registers,
      collect() {
        for (const series of allRouteSeries(routes)) {
          const delta = series.requestBytes.take();
          if (delta > 0) this.inc(series.labels, delta);
        }
      },
    });
    new Counter<DurationLabel>({
      name: 'tidegate_response_body_bytes_total',
      help: 'Response body bytes relayed from upstreams, by entry point, route and backend service.',
      labelNames: ['entrypoint', 'route', 'service'],
      registers,
      collect() {
        for (const series of allRouteSeries(routes)) {
          const delta = series.responseBytes.take();
          if (delta > 0) this.inc(series.labels, delta);
        }
      },
    });
    new Gauge<'entrypoint'>({
      name: 'tidegate_open_connections',
      help: 'Client connections currently open, by entry point.',
      labelNames: ['entrypoint'],
      registers,
      collect() {
        for (const connection of connections.values()) this.set(connection.labels, connection.open);
      },
    });
    this.#reloads = new Counter({
      name: 'tidegate_config_reloads_total',
      help: 'Configuration snapshots built (success) or abandoned with the previous one kept (failure).',
      labelNames: ['result'],
      registers,
    });
    // Both series exist from the start, so `rate()` and alerts see a 0 rather than no data.
    this.#reloads.inc({ result: 'success' }, 0);
    this.#reloads.inc({ result: 'failure' }, 0);
    this.#lastReloadSuccess = new Gauge({
      name: 'tidegate_config_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful configuration reload.',
      registers,
    });
    this.#rejectedObjects = new Gauge({
      name: 'tidegate_config_rejected_objects',
      help: 'Objects of the current snapshot that were rejected or carry warnings.',
      registers,
    });
    this.#snapshotVersion = new Gauge({
      name: 'tidegate_snapshot_version',
      help: 'Version of the snapshot the data plane serves (1 for the first).',
      registers,
    });
    new Counter<DurationLabel>({
      name: 'tidegate_retries_total',
      help: 'Upstream attempts repeated after a failure, by entry point, route and backend service.',
      labelNames: ['entrypoint', 'route', 'service'],
      registers,
      collect() {
        for (const series of allRouteSeries(routes)) {
          const delta = series.retries.take();
          if (delta > 0) this.inc(series.labels, delta);
        }
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  requestFinished(
    entryPoint: string,
    route: string,
    backend: string,
    method: string,
    status: number,
    seconds: number,
    requestBytes = 0,
    responseBytes = 0,
    firstByteSeconds = -1,
    retries = 0,
  ): void {
    const series = this.#routeSeries(entryPoint, route, backend);
    series.observe(seconds);
    if (status >= 500) series.errors++;
    series.requestBytes.value += requestBytes;
    series.responseBytes.value += responseBytes;
    series.retries.value += retries;
    if (firstByteSeconds >= 0) series.firstByte.observe(firstByteSeconds);
    const m = methodIndex(method);
    const key = status * METHODS.length + m;
    let requests = series.requests.get(key);
    if (requests === undefined) {
      requests = new RequestCountSeries({
        ...series.labels,
        method: METHODS[m] as string,
        code: String(status),
      });
      series.requests.set(key, requests);
    }
    requests.count++;
  }

  connectionChanged(entryPoint: string, delta: 1 | -1): void {
    let connection = this.#connections.get(entryPoint);
    if (connection === undefined) {
      connection = { labels: { entrypoint: entryPoint }, open: 0 };
      this.#connections.set(entryPoint, connection);
    }
    connection.open += delta;
  }

  /** A snapshot was built and swapped in. `atMs` is wall-clock milliseconds. */
  reloadSucceeded(version: number, rejectedCount: number, atMs: number): void {
    this.#reloads.inc({ result: 'success' });
    this.#lastReloadSuccess.set(atMs / 1000);
    this.#rejectedObjects.set(rejectedCount);
    this.#snapshotVersion.set(version);
  }

  /** Building a snapshot failed; the previous one keeps serving. */
  reloadFailed(): void {
    this.#reloads.inc({ result: 'failure' });
  }

  /** The Prometheus text exposition of every metric in the registry. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Visits every (entry point, route, backend) series: the live statistics read their totals without copies. */
  forEachRoute(visit: (totals: RouteTotals) => void): void {
    for (const [entryPoint, byRoute] of this.#routes)
      for (const [route, byBackend] of byRoute)
        for (const [service, series] of byBackend)
          visit({
            entryPoint,
            route,
            service,
            count: series.count,
            errors: series.errors,
            buckets: series.buckets,
          });
  }

  /** Number of request-count series held, for tests and self-checks of label cardinality. */
  get requestSeriesCount(): number {
    let count = 0;
    for (const series of allRouteSeries(this.#routes)) count += series.requests.size;
    return count;
  }

  #routeSeries(entryPoint: string, route: string, backend: string): RouteSeries {
    let byRoute = this.#routes.get(entryPoint);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#routes.set(entryPoint, byRoute);
    }
    let byBackend = byRoute.get(route);
    if (byBackend === undefined) {
      byBackend = new Map();
      byRoute.set(route, byBackend);
    }
    let series = byBackend.get(backend);
    if (series === undefined) {
      series = new RouteSeries({ entrypoint: entryPoint, route, service: backend });
      byBackend.set(backend, series);
    }
    return series;
  }
}

function* firstByteSeries(
  routes: Map<string, Map<string, Map<string, RouteSeries>>>,
): Iterable<HistogramSeries> {
  for (const series of allRouteSeries(routes)) if (series.firstByte.count > 0) yield series.firstByte;
}

function* allRouteSeries(routes: Map<string, Map<string, Map<string, RouteSeries>>>): Iterable<RouteSeries> {
  for (const byRoute of routes.values()) for (const byBackend of byRoute.values()) yield* byBackend.values();
}
