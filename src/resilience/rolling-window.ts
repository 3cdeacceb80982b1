import type { TripExpression, TripMetric } from '../ir/types.js';

/** Traefik (oxy) rolling metrics: 10 buckets of 1 s. */
const BUCKETS = 10;
const BUCKET_MS = 1000;
/** Status codes 100–599 are counted one by one, so that any `ResponseCodeRatio` range can be answered. */
const STATUS_MIN = 100;
const STATUS_SPAN = 500;
/**
 * Latency bins: bin i holds latencies in [2^(i/4) - 1, 2^((i+1)/4) - 1) ms, four per octave (≤ 19 % error),
 * up to about 2^16 ms; a quantile is answered with its bin's upper bound.
 */
const LATENCY_BINS = 64;

class Bucket {
  /** Start of the second this bucket counts, ms; -1 before first use. */
  startMs = -1;
  tries = 0;
  networkErrors = 0;
  readonly statuses = new Uint32Array(STATUS_SPAN);
  readonly latencies = new Uint32Array(LATENCY_BINS);

  reset(startMs: number): void {
    this.startMs = startMs;
    this.tries = 0;
    this.networkErrors = 0;
    this.statuses.fill(0);
    this.latencies.fill(0);
  }
}

/**
 * The last 10 s of tries to one backend, for the circuit breaker's trip expression. Preallocated: recording and
 * evaluating allocate nothing. Time comes from the caller (monotonic ms).
 */
export class RollingWindow {
  readonly #buckets: Bucket[] = Array.from({ length: BUCKETS }, () => new Bucket());
  /** Scratch for quantiles: the latency bins of every live bucket summed. */
  readonly #merged = new Uint32Array(LATENCY_BINS);

  /** A try that got a response head with `status` after `latencyMs`. */
  recordResponse(nowMs: number, status: number, latencyMs: number): void {
    const bucket = this.#bucket(nowMs);
    bucket.tries++;
    const index = status - STATUS_MIN;
    if (index >= 0 && index < STATUS_SPAN) bucket.statuses[index] = (bucket.statuses[index] ?? 0) + 1;
    const bin = Math.min(LATENCY_BINS - 1, Math.floor(Math.log2(Math.max(0, latencyMs) + 1) * 4));
    bucket.latencies[bin] = (bucket.latencies[bin] ?? 0) + 1;
  }

  /** A try that failed without a response: connect failure, reset or timeout. */
  recordNetworkError(nowMs: number): void {
    const bucket = this.#bucket(nowMs);
    bucket.tries++;
    bucket.networkErrors++;
  }

  /** Tries in the window. */
  tries(nowMs: number): number {
    let total = 0;
    for (const bucket of this.#buckets) if (this.#live(bucket, nowMs)) total += bucket.tries;
    return total;
  }

  /** Forgets everything (the breaker closed again: the old failures no longer describe the backend). */
  clear(): void {
    for (const bucket of this.#buckets) bucket.startMs = -1;
  }

  /** Evaluates a trip expression on the window. */
  evaluate(expression: TripExpression, nowMs: number): boolean {
    switch (expression.type) {
      case 'or':
        return this.evaluate(expression.left, nowMs) || this.evaluate(expression.right, nowMs);
      case 'and':
        return this.evaluate(expression.left, nowMs) && this.evaluate(expression.right, nowMs);
      case 'compare': {
        const value = this.metric(expression.metric, nowMs);
        switch (expression.operator) {
          case '>':
            return value > expression.value;
          case '>=':
            return value >= expression.value;
          case '<':
            return value < expression.value;
          case '<=':
            return value <= expression.value;
          case '==':
            return value === expression.value;
          case '!=':
            return value !== expression.value;
        }
      }
    }
  }

  /** The value of one metric over the window (0 when there is nothing to divide by, as oxy does). */
  metric(metric: TripMetric, nowMs: number): number {
    switch (metric.type) {
      case 'NetworkErrorRatio': {
        let tries = 0;
        let errors = 0;
        for (const bucket of this.#buckets) {
          if (!this.#live(bucket, nowMs)) continue;
          tries += bucket.tries;
          errors += bucket.networkErrors;
        }
        return tries === 0 ? 0 : errors / tries;
      }
      case 'ResponseCodeRatio': {
        const dividend = this.#statusCount(metric.from, metric.to, nowMs);
        const divisor = this.#statusCount(metric.dividedFrom, metric.dividedTo, nowMs);
        return divisor === 0 ? 0 : dividend / divisor;
      }
      case 'LatencyAtQuantileMS':
        return this.#latencyAt(metric.quantile, nowMs);
    }
  }

  #statusCount(from: number, to: number, nowMs: number): number {
    const lo = Math.max(0, from - STATUS_MIN);
    const hi = Math.min(STATUS_SPAN, to - STATUS_MIN);
    let count = 0;
    for (const bucket of this.#buckets) {
      if (!this.#live(bucket, nowMs)) continue;
      for (let i = lo; i < hi; i++) count += bucket.statuses[i] ?? 0;
    }
    return count;
  }

  #latencyAt(quantile: number, nowMs: number): number {
    const bins = this.#merged;
    bins.fill(0);
    let total = 0;
    for (const bucket of this.#buckets) {
      if (!this.#live(bucket, nowMs)) continue;
      for (let i = 0; i < LATENCY_BINS; i++) {
        const n = bucket.latencies[i] ?? 0;
        bins[i] = (bins[i] ?? 0) + n;
        total += n;
      }
    }
    if (total === 0) return 0;
    const rank = Math.ceil((quantile / 100) * total);
    let seen = 0;
    for (let i = 0; i < LATENCY_BINS; i++) {
      seen += bins[i] ?? 0;
      if (seen >= rank) return 2 ** ((i + 1) / 4) - 1;
    }
    return 2 ** (LATENCY_BINS / 4) - 1;
  }

  #live(bucket: Bucket, nowMs: number): boolean {
    return bucket.startMs >= 0 && nowMs - bucket.startMs < BUCKETS * BUCKET_MS;
  }

  #bucket(nowMs: number): Bucket {
    const second = Math.floor(nowMs / BUCKET_MS);
    const bucket = this.#buckets[second % BUCKETS] as Bucket;
    const startMs = second * BUCKET_MS;
    if (bucket.startMs !== startMs) bucket.reset(startMs);
    return bucket;
  }
}
