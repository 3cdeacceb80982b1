import {
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_REPLAY_BODY_BYTES,
  DEFAULT_RETRY_POLICY,
} from '../../ir/resilience-defaults.js';
import type { CanaryPolicy, CircuitBreakerPolicy, CircuitTrip, RetryPolicy } from '../../ir/types.js';
import { type AnnotationName, type AnnotationValue, HONOURED_ANNOTATIONS } from './read-annotations.js';
import { parseTripExpression } from './trip-expression.js';
import { parseBoolean, parseByteSize, parseTimeoutMs } from './values.js';

/** The canary rules of an Ingress marked `canary: "true"` (its backend comes from its own rules). */
export type CanaryAnnotations = Omit<CanaryPolicy, 'backend' | 'source'>;

/** Timeouts, retries, circuit breaking and canary rules selected by an Ingress' annotations. */
export interface ResilienceAnnotations {
  /** `proxy-first-byte-timeout`; null: the read timeout. */
  readonly firstByteMs: number | null;
  /** `proxy-request-timeout`; null: no limit. */
  readonly requestMs: number | null;
  readonly retry: RetryPolicy;
  /** null when no `circuit-breaker-*` / `retry-budget-*` key is set: the backend keeps what others set, or the defaults. */
  readonly circuitBreaker: CircuitBreakerPolicy | null;
  /** null unless `canary: "true"`. */
  readonly canary: CanaryAnnotations | null;
}

/** Traefik's circuit-breaker defaults (`checkPeriod` 100 ms, `fallbackDuration` 10 s). */
const TRIP_DEFAULTS = { checkPeriodMs: 100, fallbackMs: 10_000, probes: 3, minRequests: 10 } as const;

/** Any of these keys gives the Ingress a circuit-breaker policy of its own. */
const CIRCUIT_BREAKER_KEYS: readonly AnnotationName[] = HONOURED_ANNOTATIONS.filter(
  (name) => name.startsWith('circuit-breaker-') || name.startsWith('retry-budget-'),
);

/** Status codes ingress-nginx accepts as `http_<code>` in `proxy-next-upstream`; tidegate takes any 4xx/5xx. */
const HTTP_CONDITION = /^http_([45]\d\d)$/;

/**
 * Reads the resilience annotations of one Ingress. Like every other annotation, a value that cannot be read is
 * reported in `warnings` and its default kept.
 */
export function parseResilienceAnnotations(
  values: ReadonlyMap<AnnotationName, AnnotationValue>,
  warnings: string[],
): ResilienceAnnotations {
  const reader = new ValueReader(values, warnings);
  const attempts = reader.integer('proxy-next-upstream-tries', DEFAULT_RETRY_POLICY.attempts, 0, 100);
  const retry: RetryPolicy = {
    ...nextUpstreamConditions(reader),
    attempts,
    perTryTimeoutMs: reader.optionalTimeout('retry-per-try-timeout'),
    timeoutMs: reader.optionalTimeout('proxy-next-upstream-timeout'),
    backoffBaseMs: reader.timeout('retry-backoff-base', DEFAULT_RETRY_POLICY.backoffBaseMs),
    backoffMaxMs: reader.timeout('retry-backoff-max', DEFAULT_RETRY_POLICY.backoffMaxMs),
    replayBodyBytes: reader.byteSize('retry-body-buffer-size', DEFAULT_REPLAY_BODY_BYTES),
  };
  return {
    firstByteMs: reader.optionalTimeout('proxy-first-byte-timeout'),
    requestMs: reader.optionalTimeout('proxy-request-timeout'),
    retry: retry.backoffMaxMs < retry.backoffBaseMs ? { ...retry, backoffMaxMs: retry.backoffBaseMs } : retry,
    circuitBreaker: CIRCUIT_BREAKER_KEYS.some((key) => values.has(key)) ? circuitBreaker(reader) : null,
    canary: reader.boolean('canary', false) ? canary(reader) : null,
  };
}

type RetryConditions = Pick<
  RetryPolicy,
  'onConnectFailure' | 'onReset' | 'onTimeout' | 'statuses' | 'methods'
>;

/**
 * `proxy-next-upstream`, nginx's list: `error` (connect failure and reset), `timeout`, `invalid_header` (a broken
 * response head: a reset), `http_<code>`, `non_idempotent`, or `off`. `off` keeps one try (attempts are then
 * irrelevant); any unknown word makes the whole value invalid, so that a typo does not silently drop a condition.
 */
function nextUpstreamConditions(reader: ValueReader): RetryConditions {
  const defaults: RetryConditions = DEFAULT_RETRY_POLICY;
  const found = reader.get('proxy-next-upstream');
  if (found === undefined) return defaults;
  const words = found.value.trim().split(/\s+/);
  const conditions = {
    onConnectFailure: false,
    onReset: false,
    onTimeout: false,
    statuses: new Set<number>(),
    methods: 'idempotent' as RetryPolicy['methods'],
  };
  for (const word of words) {
    const status = HTTP_CONDITION.exec(word);
    if (status !== null) conditions.statuses.add(Number(status[1]));
    else if (word === 'error') conditions.onConnectFailure = conditions.onReset = true;
    else if (word === 'timeout') conditions.onTimeout = true;
    else if (word === 'invalid_header') conditions.onReset = true;
    else if (word === 'non_idempotent') conditions.methods = 'all';
    else if (word === 'off' && words.length === 1) break;
    else {
      reader.invalid(
        found,
        '"off" or words among error, timeout, invalid_header, http_<4xx|5xx>, non_idempotent',
        'the default (retry connect failures)',
      );
      return defaults;
    }
  }
  return { ...conditions, statuses: [...conditions.statuses].sort((a, b) => a - b) };
}

function circuitBreaker(reader: ValueReader): CircuitBreakerPolicy {
  const d = DEFAULT_CIRCUIT_BREAKER;
  let trip: CircuitTrip | null = null;
  const expression = reader.get('circuit-breaker-expression');
  if (expression !== undefined) {
    const parsed = parseTripExpression(expression.value);
    if (parsed.ok) {
      trip = {
        source: expression.value.trim(),
        expression: parsed.expression,
        checkPeriodMs: reader.timeout('circuit-breaker-check-period', TRIP_DEFAULTS.checkPeriodMs),
        fallbackMs: reader.timeout('circuit-breaker-fallback-duration', TRIP_DEFAULTS.fallbackMs),
        probes: reader.integer('circuit-breaker-probes', TRIP_DEFAULTS.probes, 1, 1000),
        minRequests: reader.integer('circuit-breaker-min-requests', TRIP_DEFAULTS.minRequests, 1, 1_000_000),
      };
    } else {
      reader.invalid(expression, `a Traefik expression (${parsed.reason})`, 'no trip expression');
    }
  }
  return {
    maxConnections: reader.integer('circuit-breaker-max-connections', d.maxConnections, 1, 1_000_000),
    maxPendingRequests: reader.integer(
      'circuit-breaker-max-pending-requests',
      d.maxPendingRequests,
      0,
      1_000_000,
    ),
    maxRequests: reader.integer('circuit-breaker-max-requests', d.maxRequests, 1, 1_000_000),
    retryBudgetPercent: reader.integer('retry-budget-percent', d.retryBudgetPercent, 0, 100),
    retryBudgetMinConcurrency: reader.integer(
      'retry-budget-min-concurrency',
      d.retryBudgetMinConcurrency,
      0,
      1_000_000,
    ),
    trip,
  };
}

function canary(reader: ValueReader): CanaryAnnotations {
  const weightTotal = reader.integer('canary-weight-total', 100, 1, 1_000_000);
  const weight = Math.min(reader.integer('canary-weight', 0, 0, 1_000_000), weightTotal);
  const header = reader.string('canary-by-header');
  let headerPattern = reader.string('canary-by-header-pattern');
  const pattern = reader.get('canary-by-header-pattern');
  if (headerPattern !== null && pattern !== undefined) {
    try {
      new RegExp(headerPattern);
    } catch (error) {
      reader.invalid(pattern, `a regular expression (${(error as Error).message})`, 'no pattern');
      headerPattern = null;
    }
  }
  return {
    // Header names are case-insensitive (RFC 9110 §5.1); Node hands them to us lower-cased.
    header: header === null ? null : header.toLowerCase(),
    headerValue: reader.string('canary-by-header-value'),
    headerPattern,
    cookie: reader.string('canary-by-cookie'),
    weight,
    weightTotal,
  };
}

/** Typed reads of single annotations: a bad value is reported and the fallback used. */
class ValueReader {
  readonly #values: ReadonlyMap<AnnotationName, AnnotationValue>;
  readonly #warnings: string[];

  constructor(values: ReadonlyMap<AnnotationName, AnnotationValue>, warnings: string[]) {
    this.#values = values;
    this.#warnings = warnings;
  }

  get(name: AnnotationName): AnnotationValue | undefined {
    return this.#values.get(name);
  }

  invalid(found: AnnotationValue, expected: string, fallback: string): void {
    this.#warnings.push(
      `annotation ${found.key}: invalid value ${JSON.stringify(found.value)} (expected ${expected}); using ${fallback}`,
    );
  }

  boolean(name: AnnotationName, fallback: boolean): boolean {
    const found = this.get(name);
    if (found === undefined) return fallback;
    const parsed = parseBoolean(found.value);
    if (parsed !== null) return parsed;
    this.invalid(found, '"true" or "false"', `the default ${fallback}`);
    return fallback;
  }

  /** A non-empty string; null when absent or empty. */
  string(name: AnnotationName): string | null {
    const value = this.get(name)?.value.trim();
    return value === undefined || value === '' ? null : value;
  }

  integer(name: AnnotationName, fallback: number, min: number, max: number): number {
    const found = this.get(name);
    if (found === undefined) return fallback;
    const text = found.value.trim();
    const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (parsed >= min && parsed <= max) return parsed;
    this.invalid(found, `an integer from ${min} to ${max}`, `the default ${fallback}`);
    return fallback;
  }

  timeout(name: AnnotationName, fallback: number): number {
    const found = this.get(name);
    if (found === undefined) return fallback;
    const parsed = parseTimeoutMs(found.value);
    if (parsed !== null) return parsed;
    this.invalid(found, 'seconds like "30", or "30s", "500ms", "2m"', `the default ${fallback}ms`);
    return fallback;
  }

  /** An nginx size (`"64k"`, `"1m"`); `"0"` is 0. */
  byteSize(name: AnnotationName, fallback: number): number {
    const found = this.get(name);
    if (found === undefined) return fallback;
    const parsed = parseByteSize(found.value);
    if (parsed !== null) return parsed.bytes ?? 0;
    this.invalid(
      found,
      'a size like "65536", "64k" or "1m", or "0" for none',
      `the default ${fallback} bytes`,
    );
    return fallback;
  }

  /** A timeout, or null when absent or `"0"` (nginx's "no limit" for `proxy-next-upstream-timeout`). */
  optionalTimeout(name: AnnotationName): number | null {
    const found = this.get(name);
    if (found === undefined || found.value.trim() === '0') return null;
    const parsed = parseTimeoutMs(found.value);
    if (parsed !== null) return parsed;
    this.invalid(found, 'seconds like "30", or "30s", "500ms", "2m", or "0" for none', 'none');
    return null;
  }
}
