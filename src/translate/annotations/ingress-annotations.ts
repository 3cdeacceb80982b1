import type { RouteTimeouts } from '../../ir/types.js';
import { type AnnotationName, type AnnotationValue, readAnnotations } from './read-annotations.js';
import { parseResilienceAnnotations, type ResilienceAnnotations } from './resilience-annotations.js';
import { parseBoolean, parseByteSize, parseTimeoutMs } from './values.js';

/** Route defaults that annotations override. */
export interface AnnotationDefaults {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly sendTimeoutMs: number;
  /** null for no limit. */
  readonly maxBodyBytes: number | null;
}

/** The settings an Ingress' annotations select, defaults filled in. */
export interface IngressAnnotations {
  /** `rewrite-target`: the replacement path (`$1`… refer to capture groups), or null for no rewrite. */
  readonly rewriteTarget: string | null;
  /** `use-regex`: every path of the Ingress is a case-insensitive regular expression. */
  readonly useRegex: boolean;
  /** `ssl-redirect` (default true): redirect plain HTTP to HTTPS on hosts that have a certificate. */
  readonly sslRedirect: boolean;
  /** `force-ssl-redirect` (default false): redirect plain HTTP to HTTPS even without a certificate. */
  readonly forceSslRedirect: boolean;
  /** `backend-protocol`. */
  readonly upstreamProtocol: 'http' | 'https';
  /** `proxy-connect-timeout`, `proxy-read-timeout`, `proxy-send-timeout`. */
  readonly timeouts: RouteTimeouts;
  /** `proxy-body-size`; null for no limit. */
  readonly maxBodyBytes: number | null;
  /** Timeouts beyond nginx's, retries, circuit breaking, canary rules. */
  readonly resilience: ResilienceAnnotations;
}

export interface ParsedAnnotations {
  readonly annotations: IngressAnnotations;
  readonly warnings: readonly string[];
}

/** Protocols ingress-nginx knows that tidegate does not speak to upstreams (yet). */
const UNSUPPORTED_PROTOCOLS: ReadonlySet<string> = new Set(['GRPC', 'GRPCS', 'FCGI', 'AUTO_HTTP']);

/**
 * Evaluates the honoured annotations of one Ingress. A value that cannot be read is reported and the default
 * kept, as ingress-nginx ignores a bad annotation instead of rejecting the Ingress.
 */
export function parseIngressAnnotations(raw: unknown, defaults: AnnotationDefaults): ParsedAnnotations {
  const { values, warnings: readWarnings } = readAnnotations(raw);
  const warnings = [...readWarnings];
  const get = (name: AnnotationName): AnnotationValue | undefined => values.get(name);
  const invalid = (found: AnnotationValue, expected: string, fallback: string): void => {
    warnings.push(
      `annotation ${found.key}: invalid value ${JSON.stringify(found.value)} (expected ${expected}); using ${fallback}`,
    );
  };

  const boolean = (name: AnnotationName, fallback: boolean): boolean => {
    const found = get(name);
    if (found === undefined) return fallback;
    const parsed = parseBoolean(found.value);
    if (parsed !== null) return parsed;
    invalid(found, '"true" or "false"', `the default ${fallback}`);
    return fallback;
  };

  const timeout = (name: AnnotationName, fallback: number): number => {
    const found = get(name);
    if (found === undefined) return fallback;
    const parsed = parseTimeoutMs(found.value);
    if (parsed !== null) return parsed;
    invalid(found, 'seconds like "30", or "30s", "500ms", "2m"', `the default ${fallback}ms`);
    return fallback;
  };

  const bodySize = (): number | null => {
    const found = get('proxy-body-size');
    if (found === undefined) return defaults.maxBodyBytes;
    const parsed = parseByteSize(found.value);
    if (parsed !== null) return parsed.bytes;
    const fallback = defaults.maxBodyBytes === null ? 'no limit' : `${defaults.maxBodyBytes} bytes`;
    invalid(found, 'an nginx size like "8m", "512k", "1g" or "0" for no limit', `the default (${fallback})`);
    return defaults.maxBodyBytes;
  };

  const protocol = (): 'http' | 'https' => {
    const found = get('backend-protocol');
    if (found === undefined) return 'http';
    const upper = found.value.trim().toUpperCase();
    if (upper === 'HTTP') return 'http';
    if (upper === 'HTTPS') return 'https';
    if (UNSUPPORTED_PROTOCOLS.has(upper)) {
      warnings.push(
        `annotation ${found.key}: backend protocol ${JSON.stringify(found.value)} is unsupported; using HTTP`,
      );
    } else {
      invalid(found, 'HTTP or HTTPS', 'HTTP');
    }
    return 'http';
  };

  const rewrite = (): string | null => {
    const found = get('rewrite-target');
    if (found === undefined) return null;
    // The replacement becomes the upstream path; whitespace would make it an invalid request target.
    if (found.value !== '' && !/\s/.test(found.value)) return found.value;
    invalid(found, 'a path such as "/" or "/$2"', 'no rewrite');
    return null;
  };

  const annotations: IngressAnnotations = {
    rewriteTarget: rewrite(),
    useRegex: boolean('use-regex', false),
    sslRedirect: boolean('ssl-redirect', true),
    forceSslRedirect: boolean('force-ssl-redirect', false),
    upstreamProtocol: protocol(),
    timeouts: {
      connectMs: timeout('proxy-connect-timeout', defaults.connectTimeoutMs),
      readMs: timeout('proxy-read-timeout', defaults.readTimeoutMs),
      sendMs: timeout('proxy-send-timeout', defaults.sendTimeoutMs),
    },
    maxBodyBytes: bodySize(),
    resilience: parseResilienceAnnotations(values, warnings),
  };
  return { annotations, warnings };
}
