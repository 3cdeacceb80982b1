import type { Instance } from './model.js';

/** Instances chosen for an answer, each with the health the answer reports. */
export interface Selection {
  readonly hosts: readonly { readonly instance: Instance; readonly healthy: boolean }[];
  /** True when the protection threshold made unhealthy instances count as healthy. */
  readonly reachProtectionThreshold: boolean;
}

/**
 * Nacos' instance selection (`InstanceController.doSrvIpxt`), shared by the Nacos API and the routing provider:
 * disabled instances are never returned; when the healthy share of the instances falls below the service's
 * `protectThreshold`, every instance is served as healthy so that the few healthy ones are not overwhelmed;
 * otherwise `healthyOnly` drops the unhealthy ones. Nacos 1.x compares with `<=`, which with the default threshold 0
 * turns an all-unhealthy service into an all-"healthy" one; tidegate uses the strict "below" of the documentation,
 * so threshold 0 never protects and dead instances stop receiving traffic.
 */
export function selectInstances(
  instances: readonly Instance[],
  protectThreshold: number,
  healthyOnly: boolean,
): Selection {
  if (instances.length === 0) return { hosts: [], reachProtectionThreshold: false };
  let healthy = 0;
  for (const instance of instances) if (instance.healthy) healthy++;
  const protect = healthy / instances.length < protectThreshold;
  const hosts: { instance: Instance; healthy: boolean }[] = [];
  for (const instance of instances) {
    if (!instance.enabled) continue;
    const reported = protect || instance.healthy;
    if (healthyOnly && !reported) continue;
    hosts.push({ instance, healthy: reported });
  }
  return { hosts, reachProtectionThreshold: protect };
}
