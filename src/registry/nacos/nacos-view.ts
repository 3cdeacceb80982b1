import { createHash } from 'node:crypto';
import { metadataMs } from '../liveness.js';
import {
  groupedName,
  HEART_BEAT_INTERVAL_KEY,
  HEART_BEAT_TIMEOUT_KEY,
  type Instance,
  IP_DELETE_TIMEOUT_KEY,
  instanceKey,
  type Service,
  type ServiceRef,
} from '../model.js';
import type { Selection } from '../protection.js';
import type { LivenessTimeouts } from '../store.js';

/** Nacos' client beat interval (`SwitchDomain.clientBeatInterval`), answered to beats and listed per instance. */
export const CLIENT_BEAT_INTERVAL_MS = 5_000;

/** One host of `/instance/list`, the fields and names Nacos 1.x serialises. */
function hostView(
  ref: ServiceRef,
  instance: Instance,
  healthy: boolean,
  timeouts: LivenessTimeouts,
): Record<string, unknown> {
  const name = groupedName(ref);
  return {
    instanceId: `${instanceKey(instance)}#${name}`,
    ip: instance.ip,
    port: instance.port,
    weight: instance.weight,
    healthy,
    // `valid` is the pre-1.0 name of `healthy`; the clients still read either.
    valid: healthy,
    marked: false,
    enabled: instance.enabled,
    ephemeral: instance.ephemeral,
    clusterName: instance.clusterName,
    serviceName: name,
    metadata: instance.metadata,
    instanceHeartBeatInterval: metadataMs(instance, HEART_BEAT_INTERVAL_KEY, CLIENT_BEAT_INTERVAL_MS),
    instanceHeartBeatTimeOut: metadataMs(instance, HEART_BEAT_TIMEOUT_KEY, timeouts.heartbeatTimeoutMs),
    ipDeleteTimeout: metadataMs(instance, IP_DELETE_TIMEOUT_KEY, timeouts.deleteTimeoutMs),
    instanceIdGenerator: 'simple',
  };
}

/**
 * The body of `GET /nacos/v1/ns/instance/list` (also the `data` of a UDP push). `checksum` is a digest of what the
 * hosts look like, so it changes exactly when the answer does; `lastRefTime` is the answer's time.
 */
export function instanceListView(
  ref: ServiceRef,
  service: Service | undefined,
  clusters: string,
  selection: Selection,
  context: { readonly cacheMillis: number; readonly now: number; readonly timeouts: LivenessTimeouts },
): Record<string, unknown> {
  const name = groupedName(ref);
  const hosts = selection.hosts.map((h) => hostView(ref, h.instance, h.healthy, context.timeouts));
  return {
    name,
    groupName: ref.group,
    clusters,
    cacheMillis: context.cacheMillis,
    hosts,
    lastRefTime: context.now,
    checksum: createHash('md5').update(JSON.stringify(hosts)).digest('hex'),
    allIPs: false,
    reachProtectionThreshold: selection.reachProtectionThreshold,
    valid: true,
    // Pre-1.0 clients read `dom` for the name, `env` and `metadata` are always sent.
    dom: name,
    env: '',
    metadata: service?.metadata ?? {},
    useSpecifiedURL: false,
  };
}

/** The body of `GET /nacos/v1/ns/instance`. */
export function instanceView(ref: ServiceRef, instance: Instance): Record<string, unknown> {
  return {
    service: groupedName(ref),
    ip: instance.ip,
    port: instance.port,
    clusterName: instance.clusterName,
    weight: instance.weight,
    healthy: instance.healthy,
    enabled: instance.enabled,
    ephemeral: instance.ephemeral,
    instanceId: `${instanceKey(instance)}#${groupedName(ref)}`,
    metadata: instance.metadata,
  };
}

/** The body of `GET /nacos/v1/ns/service`. */
export function serviceView(service: Service, instances: readonly Instance[]): Record<string, unknown> {
  const clusters = [...new Set(instances.map((i) => i.clusterName))].sort();
  return {
    namespaceId: service.namespace,
    groupName: service.group,
    name: service.service,
    protectThreshold: service.protectThreshold,
    metadata: service.metadata,
    selector: service.selector,
    clusters: clusters.map((name) => ({ name, healthChecker: { type: 'TCP' }, metadata: {} })),
  };
}
