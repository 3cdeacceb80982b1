import type { ActiveHealthCheck, HealthPolicy, OutlierDetection } from './types.js';

/**
 * Defaults of the health policy, shared by translation (which writes them into the IR) and compile (for a
 * Backend built without a `health` field). Values follow Envoy unless noted.
 */
export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  active: null,
  outlier: null,
  // Envoy's `healthy_panic_threshold` default.
  panicThresholdPercent: 50,
};

/** Active check settings when `tidegate.io/health-check-*` turns checks on without giving every value. */
export const DEFAULT_ACTIVE_HEALTH_CHECK: ActiveHealthCheck = {
  type: 'http',
  path: '/healthz',
  statusMin: 200,
  statusMax: 399,
  intervalMs: 10_000,
  timeoutMs: 2_000,
  jitterPercent: 10,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

/** Envoy's `outlier_detection` defaults, used when outlier detection is turned on without every value. */
export const DEFAULT_OUTLIER_DETECTION: OutlierDetection = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
};
