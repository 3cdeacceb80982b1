import {
  DEFAULT_ACTIVE_HEALTH_CHECK,
  DEFAULT_HEALTH_POLICY,
  DEFAULT_OUTLIER_DETECTION,
} from '../../ir/health-defaults.js';
import type {
  ActiveHealthCheck,
  Affinity,
  Backend,
  CookieAffinity,
  HealthPolicy,
  LoadBalancerPolicy,
  OutlierDetection,
} from '../../ir/types.js';
import type { SourcedObject } from '../../objects/envelope.js';
import { readAnnotations, TIDEGATE_PREFIX } from '../annotations/read-annotations.js';
import { parseBoolean, parseTimeoutMs } from '../annotations/values.js';
import { contributionBackends } from '../ingress/contribution-backends.js';
import type { IngressContribution } from '../ingress/translate-ingress.js';
import type { StatusBook } from '../status-book.js';
import {
  type LoadBalanceName,
  loadBalancerPolicy,
  parseHashBy,
  parseLoadBalance,
} from './balancing-values.js';
import { type ServiceCatalog, serviceKey } from './service-catalog.js';

/** What translation decides about a backend's balancing, affinity and health. */
export interface BackendBalancing {
  readonly loadBalancer: LoadBalancerPolicy;
  readonly affinity: Affinity | null;
  readonly health: HealthPolicy;
}

/** kube-proxy's default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
const CLIENT_IP_TIMEOUT_SECONDS = 10_800;

/** RFC 6265 §4.1.1 cookie-name: an RFC 9110 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Service annotations (under `tidegate.io/`) read here; other keys of that prefix belong to other features. */
const SERVICE_KEYS = [
  'load-balance',
  'upstream-hash-by',
  'health-check-type',
  'health-check-path',
  'health-check-status',
  'health-check-interval',
  'health-check-timeout',
  'health-check-jitter',
  'health-check-healthy-threshold',
  'health-check-unhealthy-threshold',
  'outlier-consecutive-5xx',
  'outlier-consecutive-gateway-failure',
  'outlier-base-ejection-time',
  'outlier-max-ejection-time',
  'outlier-max-ejection-percent',
  'panic-threshold',
] as const;
type ServiceKey = (typeof SERVICE_KEYS)[number];

/** Ingress annotations of one Ingress that concern its backends' balancing; undefined = not set. */
interface IngressBalancing {
  readonly loadBalancer: LoadBalancerPolicy | undefined;
  readonly affinity: CookieAffinity | undefined;
}

/**
 * Balancing, affinity and health of every backend. Precedence: an Ingress' `load-balance`/`upstream-hash-by` and
 * cookie affinity annotations, then the Service's `tidegate.io/` annotations and `spec.sessionAffinity`, then the
 * defaults (round robin, no affinity, no checks, panic threshold 50%). Several Ingresses may use one Service: as
 * with conflicting paths, the oldest Ingress that sets a key decides and a younger one asking for something else
 * gets a warning. Health settings come from the Service only: they describe the pods, not a route.
 * @param mains served non-canary Ingresses, oldest first.
 */
export function balancingByBackend(
  backends: readonly Backend[],
  mains: readonly IngressContribution[],
  catalog: ServiceCatalog,
  statuses: StatusBook,
): Map<string, BackendBalancing> {
  const fromIngress = new Map<string, { lb?: LoadBalancerPolicy; affinity?: CookieAffinity }>();
  for (const contribution of mains) {
    const settings = ingressBalancing(contribution.ingress, statuses);
    if (settings.loadBalancer === undefined && settings.affinity === undefined) continue;
    for (const backend of contributionBackends(contribution)) {
      const owner = fromIngress.get(backend) ?? {};
      fromIngress.set(backend, owner);
      if (settings.loadBalancer !== undefined) {
        if (owner.lb === undefined) owner.lb = settings.loadBalancer;
        else if (JSON.stringify(owner.lb) !== JSON.stringify(settings.loadBalancer))
          statuses.warn(
            contribution.ingress,
            `load-balance/upstream-hash-by for ${backend} differ from an older Ingress's, which apply`,
          );
      }
      if (settings.affinity !== undefined) {
        if (owner.affinity === undefined) owner.affinity = settings.affinity;
        else if (JSON.stringify(owner.affinity) !== JSON.stringify(settings.affinity))
          statuses.warn(
            contribution.ingress,
            `affinity annotations for ${backend} differ from an older Ingress's, which apply`,
          );
      }
    }
  }
  const out = new Map<string, BackendBalancing>();
  for (const backend of backends) {
    const service = catalog.services.get(serviceKey(backend.source.namespace, backend.source.name));
    const fromService =
      service === undefined ? null : serviceBalancing(service.sourced, service.spec, statuses);
    const ingress = fromIngress.get(backend.name);
    out.set(backend.name, {
      loadBalancer: ingress?.lb ?? fromService?.loadBalancer ?? { type: 'round_robin' },
      affinity: ingress?.affinity ?? fromService?.affinity ?? null,
      health: fromService?.health ?? DEFAULT_HEALTH_POLICY,
    });
  }
  return out;
}

function ingressBalancing(ingress: SourcedObject, statuses: StatusBook): IngressBalancing {
  // Unsupported keys were reported when the Ingress' other annotations were read; only values matter here.
  const { values } = readAnnotations(ingress.object.metadata.annotations);
  const get = (name: string): { key: string; value: string } | undefined =>
    values.get(name as Parameters<typeof values.get>[0]);
  const warn = (key: string, value: string, expected: string, fallback: string): void =>
    statuses.warn(
      ingress,
      `annotation ${key}: invalid value ${JSON.stringify(value)} (expected ${expected}); using ${fallback}`,
    );
  const loadBalancer = policyFrom(get('load-balance'), get('upstream-hash-by'), warn);
  let affinity: CookieAffinity | undefined;
  const mode = get('affinity');
  if (mode !== undefined) {
    if (mode.value.trim() !== 'cookie') warn(mode.key, mode.value, '"cookie"', 'no affinity');
    else affinity = cookieAffinity(get, warn);
  }
  return { loadBalancer, affinity };
}

type Warn = (key: string, value: string, expected: string, fallback: string) => void;
type Found = { key: string; value: string } | undefined;

function policyFrom(lb: Found, hashBy: Found, warn: Warn): LoadBalancerPolicy | undefined {
  if (lb === undefined && hashBy === undefined) return undefined;
  let name: LoadBalanceName = 'round_robin';
  if (lb !== undefined) {
    const parsed = parseLoadBalance(lb.value);
    if (parsed === null)
      warn(
        lb.key,
        lb.value,
        `one of round_robin, ewma, least_request, random, weighted_round_robin, ring_hash, maglev`,
        'round_robin',
      );
    else name = parsed;
  }
  let parts = null;
  if (hashBy !== undefined) {
    parts = parseHashBy(hashBy.value);
    if (parts === null)
      warn(
        hashBy.key,
        hashBy.value,
        'nginx variables such as $remote_addr, $http_x_user, $cookie_id, $request_uri, $arg_id',
        'no consistent hashing',
      );
  }
  return loadBalancerPolicy(name, parts);
}

function cookieAffinity(get: (name: string) => Found, warn: Warn): CookieAffinity {
  const text = (
    name: string,
    fallback: string,
    valid: (value: string) => boolean,
    expected: string,
  ): string => {
    const found = get(name);
    if (found === undefined) return fallback;
    if (valid(found.value)) return found.value;
    warn(found.key, found.value, expected, JSON.stringify(fallback));
    return fallback;
  };
  const seconds = (name: string): number | null => {
    const found = get(name);
    if (found === undefined) return null;
    if (/^\d{1,10}$/.test(found.value.trim())) return Number(found.value.trim());
    warn(found.key, found.value, 'whole seconds', 'none');
    return null;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const found = get(name);
    if (found === undefined) return fallback;
    const parsed = parseBoolean(found.value);
    if (parsed !== null) return parsed;
    warn(found.key, found.value, '"true" or "false"', String(fallback));
    return fallback;
  };
  const sameSite = get('session-cookie-samesite');
  let sameSiteValue: CookieAffinity['sameSite'] = null;
  if (sameSite !== undefined) {
    const lower = sameSite.value.trim().toLowerCase();
    if (lower === 'none') sameSiteValue = 'None';
    else if (lower === 'lax') sameSiteValue = 'Lax';
    else if (lower === 'strict') sameSiteValue = 'Strict';
    else warn(sameSite.key, sameSite.value, 'None, Lax or Strict', 'no SameSite attribute');
  }
  return {
    type: 'cookie',
    mode: text(
      'affinity-mode',
      'balanced',
      (v) => v === 'balanced' || v === 'persistent',
      'balanced or persistent',
    ) as CookieAffinity['mode'],
    name: text(
      'session-cookie-name',
      'INGRESSCOOKIE',
      (v) => COOKIE_NAME.test(v),
      'a cookie name (an RFC 9110 token)',
    ),
    path: text(
      'session-cookie-path',
      '/',
      (v) => v.startsWith('/') && !/[;\s]/.test(v),
      'a path starting with "/"',
    ),
    maxAgeSeconds: seconds('session-cookie-max-age'),
    expiresSeconds: seconds('session-cookie-expires'),
    secure: flag('session-cookie-secure', false),
    sameSite: sameSiteValue,
    changeOnFailure: flag('session-cookie-change-on-failure', false),
  };
}

function serviceBalancing(
  service: SourcedObject,
  spec: {
    readonly sessionAffinity: 'None' | 'ClientIP';
    readonly sessionAffinityConfig?:
      | { readonly clientIP?: { readonly timeoutSeconds?: number | undefined } | undefined }
      | undefined;
  } | null,
  statuses: StatusBook,
): BackendBalancing {
  const raw: unknown = service.object.metadata.annotations;
  const values = new Map<ServiceKey, { key: string; value: string }>();
  if (raw !== null && typeof raw === 'object') {
    for (const name of SERVICE_KEYS) {
      const key = `${TIDEGATE_PREFIX}${name}`;
      const value: unknown = (raw as Record<string, unknown>)[key];
      if (typeof value === 'string') values.set(name, { key, value });
    }
  }
  const warn: Warn = (key, value, expected, fallback) =>
    statuses.warn(
      service,
      `annotation ${key}: invalid value ${JSON.stringify(value)} (expected ${expected}); using ${fallback}`,
    );
  const int = (name: ServiceKey, fallback: number, min: number, max: number): number => {
    const found = values.get(name);
    if (found === undefined) return fallback;
    const trimmed = found.value.trim();
    if (/^\d{1,9}$/.test(trimmed) && Number(trimmed) >= min && Number(trimmed) <= max) return Number(trimmed);
    warn(found.key, found.value, `a whole number from ${min} to ${max}`, String(fallback));
    return fallback;
  };
  const duration = (name: ServiceKey, fallback: number): number => {
    const found = values.get(name);
    if (found === undefined) return fallback;
    const parsed = parseTimeoutMs(found.value);
    if (parsed !== null) return parsed;
    warn(found.key, found.value, 'seconds like "10", or "10s", "500ms", "2m"', `${fallback}ms`);
    return fallback;
  };
  const any = (prefix: string): boolean => [...values.keys()].some((name) => name.startsWith(prefix));

  let active: ActiveHealthCheck | null = null;
  if (any('health-check-')) {
    const d = DEFAULT_ACTIVE_HEALTH_CHECK;
    const type = values.get('health-check-type');
    let checkType: ActiveHealthCheck['type'] = d.type;
    if (type !== undefined) {
      const lower = type.value.trim().toLowerCase();
      if (lower === 'http' || lower === 'tcp') checkType = lower;
      else warn(type.key, type.value, 'http or tcp', d.type);
    }
    const path = values.get('health-check-path');
    let checkPath = d.path;
    if (path !== undefined) {
      if (path.value.startsWith('/') && !/\s/.test(path.value)) checkPath = path.value;
      else warn(path.key, path.value, 'a path starting with "/"', d.path);
    }
    let statusMin = d.statusMin;
    let statusMax = d.statusMax;
    const status = values.get('health-check-status');
    if (status !== undefined) {
      const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d)\s*)?$/.exec(status.value);
      if (m !== null && Number(m[2] ?? m[1]) >= Number(m[1])) {
        statusMin = Number(m[1]);
        statusMax = Number(m[2] ?? m[1]);
      } else
        warn(status.key, status.value, 'a status or a range like "200-399"', `${d.statusMin}-${d.statusMax}`);
    }
    active = {
      type: checkType,
      path: checkPath,
      statusMin,
      statusMax,
      intervalMs: duration('health-check-interval', d.intervalMs),
      timeoutMs: duration('health-check-timeout', d.timeoutMs),
      jitterPercent: int('health-check-jitter', d.jitterPercent, 0, 100),
      healthyThreshold: int('health-check-healthy-threshold', d.healthyThreshold, 1, 1000),
      unhealthyThreshold: int('health-check-unhealthy-threshold', d.unhealthyThreshold, 1, 1000),
    };
  }
  let outlier: OutlierDetection | null = null;
  if (any('outlier-')) {
    const d = DEFAULT_OUTLIER_DETECTION;
    outlier = {
      consecutive5xx: int('outlier-consecutive-5xx', d.consecutive5xx, 0, 1000),
      consecutiveGatewayFailure: int(
        'outlier-consecutive-gateway-failure',
        d.consecutiveGatewayFailure,
        0,
        1000,
      ),
      baseEjectionMs: duration('outlier-base-ejection-time', d.baseEjectionMs),
      maxEjectionMs: duration('outlier-max-ejection-time', d.maxEjectionMs),
      maxEjectionPercent: int('outlier-max-ejection-percent', d.maxEjectionPercent, 0, 100),
    };
  }
  const health: HealthPolicy = {
    active,
    outlier,
    panicThresholdPercent: int('panic-threshold', DEFAULT_HEALTH_POLICY.panicThresholdPercent, 0, 100),
  };
  const affinity: Affinity | null =
    spec?.sessionAffinity === 'ClientIP'
      ? {
          type: 'client-ip',
          timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? CLIENT_IP_TIMEOUT_SECONDS,
        }
      : null;
  const loadBalancer = policyFrom(values.get('load-balance'), values.get('upstream-hash-by'), warn) ?? {
    type: 'round_robin',
  };
  return { loadBalancer, affinity, health };
}
