import { isIPv6 } from 'node:net';
import type { KubeObject, SourcedObject } from '../../objects/envelope.js';
import {
  ENDPOINT_WEIGHT_ANNOTATION,
  REGISTRY_GROUP_ANNOTATION,
  REGISTRY_NAMESPACE_ANNOTATION,
  REGISTRY_PORT_NAME,
  REGISTRY_SERVICE_ANNOTATION,
  REGISTRY_SERVICE_PORT,
  registryObjectNamespace,
  registryServiceObjectName,
} from '../../objects/registry-names.js';
import type { Instance, RegistrySnapshot } from '../../registry/model.js';
import { selectInstances } from '../../registry/protection.js';

/** The label that ties an EndpointSlice to its Service (`discovery.k8s.io/v1`). */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * The registry content in the object language every provider speaks: per registry service one `v1 Service`
 * (name and namespace from `objects/registry-names.ts`, one port `http`/80) and one `discovery.k8s.io/v1
 * EndpointSlice` per instance port and weight, the weight in the `tidegate.io/endpoint-weight` annotation. An
 * instance is `ready` when Nacos' selection (`selectInstances`) serves it as healthy and its weight is above 0
 * (Nacos never selects weight 0): enabled, and healthy — or unhealthy while the service's healthy share is below
 * its `protectThreshold`, so that the gateway routes exactly to the instances a Nacos client would call. Routing,
 * balancing and health are then those of Services. Deterministic: the same snapshot gives the same objects.
 *
 * The protection is applied here, not through the backend's panic threshold: the balancer's panic threshold
 * revives *ready* endpoints that active checks or outlier detection took out, whereas an unhealthy instance is
 * not ready, so only readiness can carry Nacos' rule.
 */
export function registryObjects(snapshot: RegistrySnapshot, provider: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const sourced = (object: KubeObject): SourcedObject => ({ object, origin: { provider } });
  for (const { service, instances } of snapshot.services) {
    const served = new Set<Instance>();
    for (const host of selectInstances(instances, service.protectThreshold, true).hosts)
      if (host.instance.weight > 0) served.add(host.instance);
    const namespace = registryObjectNamespace(service.namespace);
    const name = registryServiceObjectName(service.namespace, service.group, service.service);
    out.push(
      sourced({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace,
          annotations: {
            [REGISTRY_NAMESPACE_ANNOTATION]: service.namespace,
            [REGISTRY_GROUP_ANNOTATION]: service.group,
            [REGISTRY_SERVICE_ANNOTATION]: service.service,
          },
        },
        spec: { ports: [{ name: REGISTRY_PORT_NAME, port: REGISTRY_SERVICE_PORT }] },
      }),
    );
    const slices = new Map<string, { port: number; weight: number; ipv6: boolean; instances: Instance[] }>();
    for (const instance of instances) {
      const ipv6 = isIPv6(instance.ip);
      const key = `${instance.port}/${instance.weight}/${ipv6 ? 6 : 4}`;
      const slice = slices.get(key);
      if (slice === undefined)
        slices.set(key, { port: instance.port, weight: instance.weight, ipv6, instances: [instance] });
      else slice.instances.push(instance);
    }
    let index = 0;
    for (const slice of [...slices.values()].sort(
      (a, b) => a.port - b.port || a.weight - b.weight || Number(a.ipv6) - Number(b.ipv6),
    )) {
      out.push(
        sourced({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: `${name}-${index++}`,
            namespace,
            labels: { [SERVICE_NAME_LABEL]: name },
            annotations: { [ENDPOINT_WEIGHT_ANNOTATION]: String(slice.weight) },
          },
          addressType: slice.ipv6 ? 'IPv6' : 'IPv4',
          ports: [{ name: REGISTRY_PORT_NAME, port: slice.port, protocol: 'TCP' }],
          endpoints: slice.instances.map((instance) => {
            const ready = served.has(instance);
            return { addresses: [instance.ip], conditions: { ready, serving: ready, terminating: false } };
          }),
        }),
      );
    }
  }
  return out;
}
