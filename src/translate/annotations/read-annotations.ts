import { compareStrings } from '../order.js';

/** ingress-nginx's annotation prefix; tidegate honours the same keys so existing manifests work unchanged. */
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
/** tidegate's own prefix; it wins over the ingress-nginx key when both are set. */
export const TIDEGATE_PREFIX = 'tidegate.io/';

/** The annotation names (after the prefix) that translation evaluates. */
export const HONOURED_ANNOTATIONS = [
  'affinity',
  'affinity-mode',
  'backend-protocol',
  'canary',
  'canary-by-cookie',
  'canary-by-header',
  'canary-by-header-pattern',
  'canary-by-header-value',
  'canary-weight',
  'canary-weight-total',
  'circuit-breaker-check-period',
  'circuit-breaker-expression',
  'circuit-breaker-fallback-duration',
  'circuit-breaker-max-connections',
  'circuit-breaker-max-pending-requests',
  'circuit-breaker-max-requests',
  'circuit-breaker-min-requests',
  'circuit-breaker-probes',
  'force-ssl-redirect',
  'load-balance',
  'proxy-body-size',
  'proxy-connect-timeout',
  'proxy-first-byte-timeout',
  'proxy-next-upstream',
  'proxy-next-upstream-timeout',
  'proxy-next-upstream-tries',
  'proxy-read-timeout',
  'proxy-request-timeout',
  'proxy-send-timeout',
  'retry-backoff-base',
  'retry-backoff-max',
  'retry-body-buffer-size',
  'retry-budget-min-concurrency',
  'retry-budget-percent',
  'retry-per-try-timeout',
  'rewrite-target',
  'session-cookie-change-on-failure',
  'session-cookie-expires',
  'session-cookie-max-age',
  'session-cookie-name',
  'session-cookie-path',
  'session-cookie-samesite',
  'session-cookie-secure',
  'ssl-redirect',
  'upstream-hash-by',
  'use-regex',
] as const;

export type AnnotationName = (typeof HONOURED_ANNOTATIONS)[number];

const HONOURED: ReadonlySet<string> = new Set(HONOURED_ANNOTATIONS);

/** One honoured annotation as written: the full key (for messages) and its value. */
export interface AnnotationValue {
  readonly key: string;
  readonly value: string;
}

export interface ReadAnnotations {
  readonly values: ReadonlyMap<AnnotationName, AnnotationValue>;
  /** Unsupported keys under the two prefixes and values that are not strings. */
  readonly warnings: readonly string[];
}

/**
 * Picks the honoured annotations out of `metadata.annotations`. Keys under the two prefixes that tidegate does
 * not implement are reported and never evaluated, so a manifest cannot silently rely on an ignored feature;
 * keys under other prefixes (kubectl, Helm, other controllers) belong to someone else and are skipped quietly.
 */
export function readAnnotations(annotations: unknown): ReadAnnotations {
  const values = new Map<AnnotationName, AnnotationValue>();
  const warnings: string[] = [];
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) {
    return { values, warnings };
  }
  const keys = Object.keys(annotations).sort(compareStrings);
  for (const key of keys) {
    const prefix = key.startsWith(TIDEGATE_PREFIX)
      ? TIDEGATE_PREFIX
      : key.startsWith(NGINX_PREFIX)
        ? NGINX_PREFIX
        : null;
    if (prefix === null) continue;
    const name = key.slice(prefix.length);
    if (!isHonoured(name)) {
      warnings.push(`annotation ${key} is not supported, ignored`);
      continue;
    }
    const value: unknown = (annotations as Record<string, unknown>)[key];
    if (typeof value !== 'string') {
      // The API server only stores string values; an unquoted YAML number or boolean is a manifest mistake.
      warnings.push(
        `annotation ${key}: value must be a string (quote it in YAML), got ${value === null ? 'null' : typeof value}; ignored`,
      );
      continue;
    }
    const existing = values.get(name);
    if (existing === undefined || prefix === TIDEGATE_PREFIX) values.set(name, { key, value });
  }
  return { values, warnings };
}

function isHonoured(name: string): name is AnnotationName {
  return HONOURED.has(name);
}
