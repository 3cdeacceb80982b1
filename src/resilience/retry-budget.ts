/** The budget looks at the requests of the last 10 s, in 1 s buckets. */
const BUCKETS = 10;
const BUCKET_MS = 1000;

/**
 * The retry budget of one backend: a retry may start when the retries of the last 10 s stay within
 * `percent` % of the requests of the same window, or when fewer than `minConcurrency` retries are in flight
 * (Envoy's `retry_budget` with its `min_retry_concurrency`, windowed like Linkerd's budget). So when a backend
 * fails for everyone, retries add at most `percent` % load (plus the minimum) instead of multiplying it.
 * Preallocated; time is injected (monotonic ms).
 */
export class RetryBudget {
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  readonly #starts = new Float64Array(BUCKETS).fill(-1);
  /** Retries started and not yet ended. */
  inFlight = 0;
  /** Retries refused by the budget, for views and tests. */
  refused = 0;

  /** A client request was sent to the backend (its first try). */
  requestStarted(nowMs: number): void {
    const i = this.#bucket(nowMs);
    this.#requests[i] = (this.#requests[i] ?? 0) + 1;
  }

  /** Takes a retry from the budget if it has one; the caller calls `retryEnded` when that try ends. */
  tryAcquire(nowMs: number, percent: number, minConcurrency: number): boolean {
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (nowMs - (this.#starts[i] ?? -1) >= BUCKETS * BUCKET_MS) continue;
      requests += this.#requests[i] ?? 0;
      retries += this.#retries[i] ?? 0;
    }
    if (this.inFlight >= minConcurrency && (retries + 1) * 100 > requests * percent) {
      this.refused++;
      return false;
    }
    const i = this.#bucket(nowMs);
    this.#retries[i] = (this.#retries[i] ?? 0) + 1;
    this.inFlight++;
    return true;
  }

  retryEnded(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  #bucket(nowMs: number): number {
    const second = Math.floor(nowMs / BUCKET_MS);
    const i = second % BUCKETS;
    const start = second * BUCKET_MS;
    if (this.#starts[i] !== start) {
      this.#starts[i] = start;
      this.#requests[i] = 0;
      this.#retries[i] = 0;
    }
    return i;
  }
}
