import { DURATION_BUCKETS_SECONDS, type RouteTotals } from './metrics.js';

/** Request rate, share of 5xx and latency quantiles over one interval. */
export interface Rates {
  /** Requests per second. */
  readonly rps: number;
  /** Fraction (0–1) of the interval's requests answered with a 5xx; 0 without requests. */
  readonly errorRate: number;
  /** Seconds, estimated from the duration histogram as Prometheus' `histogram_quantile` does; null without requests. */
  readonly p50: number | null;
  readonly p99: number | null;
}

/** One route's rates over the interval. */
export interface RouteRates extends Rates {
  readonly route: string;
  readonly service: string;
}

/** One interval (normally one second) of live statistics. */
export interface LiveSample {
  /** Wall-clock milliseconds at the end of the interval. */
  readonly time: number;
  readonly totals: Rates;
  /** By entry point name, every entry point that has served a request. */
  readonly entryPoints: Readonly<Record<string, Rates>>;
  /** Only routes with requests in the interval, busiest first. */
  readonly routes: readonly RouteRates[];
}

/** Where the totals come from: `GatewayMetrics`. */
export interface RouteTotalsSource {
  forEachRoute(visit: (totals: RouteTotals) => void): void;
}

export interface LiveStatsOptions {
  /** Interval length, ms; default 1000. */
  readonly intervalMs?: number | undefined;
  /** Samples kept for a newly connected dashboard's history; default 120. */
  readonly historySize?: number | undefined;
  /** Wall-clock milliseconds; `Date.now` unless a test fixes it. */
  readonly now?: (() => number) | undefined;
}

/** Per-series totals at the previous tick. */
interface Previous {
  count: number;
  errors: number;
  readonly buckets: Float64Array;
}

/** Running sums of one group (an entry point, a route, everything) within a tick. */
class Accumulator {
  count = 0;
  errors = 0;
  readonly buckets = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);

  add(count: number, errors: number, buckets: Float64Array, previous: Float64Array): void {
    this.count += count;
    this.errors += errors;
    let inBuckets = 0;
    for (let i = 0; i < buckets.length; i++) {
      const delta = (buckets[i] as number) - (previous[i] as number);
      this.buckets[i] = (this.buckets[i] as number) + delta;
      inBuckets += delta;
    }
    // Observations above the last bound are counted but fall in no finite bucket: the +Inf bucket.
    const last = this.buckets.length - 1;
    this.buckets[last] = (this.buckets[last] as number) + (count - inBuckets);
  }

  rates(seconds: number): Rates {
    return {
      rps: this.count / seconds,
      errorRate: this.count === 0 ? 0 : this.errors / this.count,
      p50: quantile(0.5, this.buckets, this.count),
      p99: quantile(0.99, this.buckets, this.count),
    };
  }
}

/**
 * The dashboard's live numbers: once per interval, the increase of every request series of `GatewayMetrics`
 * since the previous interval, turned into rates per route, per entry point and in total. Reads the counters
 * the request path already maintains, so it adds nothing to it; runs only while someone listens or asks.
 */
export class LiveStats {
  readonly #source: RouteTotalsSource;
  readonly #intervalMs: number;
  readonly #historySize: number;
  readonly #now: () => number;
  readonly #previous = new Map<string, Previous>();
  readonly #history: LiveSample[] = [];
  readonly #listeners = new Set<(sample: LiveSample) => void>();
  #lastTickMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(source: RouteTotalsSource, options: LiveStatsOptions = {}) {
    this.#source = source;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#historySize = options.historySize ?? 120;
    this.#now = options.now ?? Date.now;
    this.#lastTickMs = this.#now();
  }

  /** Starts ticking every interval (the timer does not keep the process alive); idempotent. */
  start(): void {
    if (this.#timer !== null) return;
    this.#lastTickMs = this.#now();
    this.tick();
    this.#timer = setInterval(() => this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  /** Calls `listener` with every new sample until the returned function is called. */
  subscribe(listener: (sample: LiveSample) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last samples, oldest first. */
  history(): readonly LiveSample[] {
    return this.#history;
  }

  /** Closes the current interval: computes its sample, keeps it in the history and hands it to the listeners. */
  tick(): LiveSample {
    const now = this.#now();
    const seconds = Math.max((now - this.#lastTickMs) / 1000, 0.001);
    this.#lastTickMs = now;
    const totals = new Accumulator();
    const entryPoints = new Map<string, Accumulator>();
    const routes = new Map<string, { service: string; acc: Accumulator }>();
    this.#source.forEachRoute((series) => {
      const key = `${series.entryPoint}\u0000${series.route}\u0000${series.service}`;
      let previous = this.#previous.get(key);
      if (previous === undefined) {
        previous = { count: 0, errors: 0, buckets: new Float64Array(series.buckets.length) };
        this.#previous.set(key, previous);
      }
      const count = series.count - previous.count;
      let entryPoint = entryPoints.get(series.entryPoint);
      if (entryPoint === undefined) {
        entryPoint = new Accumulator();
        entryPoints.set(series.entryPoint, entryPoint);
      }
      if (count > 0) {
        const errors = series.errors - previous.errors;
        totals.add(count, errors, series.buckets, previous.buckets);
        entryPoint.add(count, errors, series.buckets, previous.buckets);
        if (series.route !== '') {
          let route = routes.get(series.route);
          if (route === undefined) {
            route = { service: series.service, acc: new Accumulator() };
            routes.set(series.route, route);
          }
          route.acc.add(count, errors, series.buckets, previous.buckets);
        }
        previous.count = series.count;
        previous.errors = series.errors;
        previous.buckets.set(series.buckets);
      }
    });
    const sample: LiveSample = {
      time: now,
      totals: totals.rates(seconds),
      entryPoints: Object.fromEntries([...entryPoints].map(([name, acc]) => [name, acc.rates(seconds)])),
      routes: [...routes]
        .map(([route, { service, acc }]) => ({ route, service, ...acc.rates(seconds) }))
        .sort((a, b) => b.rps - a.rps || a.route.localeCompare(b.route)),
    };
    this.#history.push(sample);
    if (this.#history.length > this.#historySize) this.#history.shift();
    for (const listener of this.#listeners) listener(sample);
    return sample;
  }
}

/**
 * The q-quantile of `count` observations in non-cumulative `buckets` (the last one is +Inf), interpolated
 * linearly inside the bucket the rank falls in, as Prometheus' `histogram_quantile` does; a rank in the +Inf
 * bucket answers the highest finite bound.
 */
export function quantile(q: number, buckets: Float64Array, count: number): number | null {
  if (count <= 0) return null;
  const rank = q * count;
  let cumulative = 0;
  for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) {
    const inBucket = buckets[i] as number;
    if (cumulative + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : (DURATION_BUCKETS_SECONDS[i - 1] as number);
      const upper = DURATION_BUCKETS_SECONDS[i] as number;
      return lower + (upper - lower) * ((rank - cumulative) / inBucket);
    }
    cumulative += inBucket;
  }
  return DURATION_BUCKETS_SECONDS[DURATION_BUCKETS_SECONDS.length - 1] as number;
}
