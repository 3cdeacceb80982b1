import { backendName, endpointName } from '../../ir/names.js';
import type { Backend, Endpoint } from '../../ir/types.js';
import { REGISTRY_SERVICE_PORT, registryNamespaceFor } from '../../objects/registry-names.js';
import type { IngressBackend, ServiceSpec } from '../../objects/schemas.js';
import { isDnsSubdomain, isIPv4, isIPv6 } from '../addresses.js';
import { compareStrings } from '../order.js';
import { isRegistryResource, registryTarget } from '../registry/registry-target.js';
import type { StatusBook } from '../status-book.js';
import { endpointSliceWeight } from './endpoint-weight.js';
import {
  type EndpointSliceEntry,
  type ServiceCatalog,
  type ServiceEntry,
  serviceKey,
} from './service-catalog.js';

/** Why a backend reference is broken; the route then answers 500 with this reason. */
export type BackendProblemReason = 'BackendNotFound' | 'PortNotFound' | 'UnsupportedBackend';

export type BackendResolution =
  | { readonly ok: true; readonly backend: Backend }
  | { readonly ok: false; readonly reason: BackendProblemReason; readonly message: string };

type ServicePort = ServiceSpec['ports'][number];
type ServiceBackendPort = NonNullable<IngressBackend['service']>['port'];
type EndpointConditions = Pick<Endpoint, 'ready' | 'serving' | 'terminating'>;

/**
 * Resolves Ingress backend references (`backend.service` name and port) to IR Backends with their endpoints.
 * Each Backend is built once, however many routes refer to it; warnings about its endpoint sources are
 * therefore reported once.
 */
export class BackendResolver {
  readonly #catalog: ServiceCatalog;
  readonly #statuses: StatusBook;
  readonly #built = new Map<string, Backend>();

  constructor(catalog: ServiceCatalog, statuses: StatusBook) {
    this.#catalog = catalog;
    this.#statuses = statuses;
  }

  /** The Backend that `ref`, written in an object of `namespace`, designates; or why there is none. */
  resolve(namespace: string, ref: IngressBackend): BackendResolution {
    if (ref.service === undefined) {
      const { apiGroup, kind, name } = ref.resource;
      // An Ingress refers to the registry namespace its own namespace maps to (`default` → `public`).
      if (isRegistryResource(ref.resource))
        return this.resolveRegistry(registryNamespaceFor(namespace), name);
      return {
        ok: false,
        reason: 'UnsupportedBackend',
        message: `resource backend ${apiGroup ? `${apiGroup}/` : ''}${kind} ${JSON.stringify(name)} is not supported; only Service backends are`,
      };
    }
    const { name, port } = ref.service;
    const service = this.#catalog.services.get(serviceKey(namespace, name));
    if (service === undefined) {
      return { ok: false, reason: 'BackendNotFound', message: `Service ${namespace}/${name} not found` };
    }
    if (service.spec === null) {
      return {
        ok: false,
        reason: 'BackendNotFound',
        message: `Service ${namespace}/${name} is invalid (see its status)`,
      };
    }
    const servicePort = findPort(service.spec, port);
    if (servicePort === undefined) {
      // An ExternalName Service is a DNS alias without proxying, so it usually declares no ports: a port number
      // in the Ingress is then the upstream port itself.
      if (service.externalName !== null && port.number !== undefined && service.spec.ports.length === 0) {
        return {
          ok: true,
          backend: this.#externalName(service, service.externalName, port.number, port.number),
        };
      }
      const wanted =
        port.number !== undefined ? `number ${port.number}` : `name ${JSON.stringify(port.name)}`;
      return {
        ok: false,
        reason: 'PortNotFound',
        message: `Service ${namespace}/${name} has no port with ${wanted}`,
      };
    }
    if (service.externalName !== null) {
      const target = typeof servicePort.targetPort === 'number' ? servicePort.targetPort : servicePort.port;
      return {
        ok: true,
        backend: this.#externalName(service, service.externalName, servicePort.port, target),
      };
    }
    return { ok: true, backend: this.#service(service, servicePort) };
  }

  /**
   * The Backend of registry service `groupedName` (`<group>@@<service>` or `<service>`) in `registryNamespace`:
   * the Service the `registry` provider emits for it, on its one port.
   */
  resolveRegistry(registryNamespace: string, groupedName: string): BackendResolution {
    const target = registryTarget(registryNamespace, groupedName);
    if (target === null) {
      return {
        ok: false,
        reason: 'BackendNotFound',
        message: `${JSON.stringify(groupedName)} is not a registry service name (<service> or <group>@@<service>)`,
      };
    }
    const resolved = this.resolve(target.namespace, {
      service: { name: target.name, port: { number: REGISTRY_SERVICE_PORT } },
    });
    if (resolved.ok || resolved.reason !== 'BackendNotFound') return resolved;
    return { ...resolved, message: `registry service ${target.label} not found (nothing registered)` };
  }

  /** The Backends built so far whose name is in `names`, sorted by name. */
  backends(names: ReadonlySet<string>): Backend[] {
    return [...this.#built.values()]
      .filter((backend) => names.has(backend.name))
      .sort((a, b) => compareStrings(a.name, b.name));
  }

  #externalName(service: ServiceEntry, address: string, servicePort: number, port: number): Backend {
    const name = backendName(service.namespace, service.name, servicePort);
    return this.#memo(name, () => ({
      name,
      source: { kind: 'Service', namespace: service.namespace, name: service.name },
      kind: 'external-name',
      endpoints: [
        {
          name: endpointName(name, address, port),
          address,
          port,
          ready: true,
          serving: true,
          terminating: false,
          weight: 1,
        },
      ],
      loadBalancer: { type: 'round_robin' },
    }));
  }

  #service(service: ServiceEntry, servicePort: ServicePort): Backend {
    const name = backendName(service.namespace, service.name, servicePort.port);
    return this.#memo(name, () => ({
      name,
      source: { kind: 'Service', namespace: service.namespace, name: service.name },
      kind: 'service',
      endpoints: this.#endpoints(name, service, servicePort),
      loadBalancer: { type: 'round_robin' },
    }));
  }

  #memo(name: string, build: () => Backend): Backend {
    let backend = this.#built.get(name);
    if (backend === undefined) {
      backend = build();
      this.#built.set(name, backend);
    }
    return backend;
  }

  /**
   * Endpoints of one Service port. Slice and Endpoints ports are matched by the *Service port name* (`''` when
   * unnamed): the endpoints controllers copy that name and resolve `targetPort` themselves, per Pod.
   * `targetPort` only matters when a source lists no port for it (hand-written manifests for the file
   * provider often omit `ports`): a numeric targetPort (default: the Service port) is then the endpoint port,
   * while a named targetPort names a container port we cannot see, so those endpoints are skipped with a warning.
   */
  #endpoints(backend: string, service: ServiceEntry, servicePort: ServicePort): Endpoint[] {
    const key = serviceKey(service.namespace, service.name);
    const portName = servicePort.name ?? '';
    const derived = derivedPort(servicePort);
    const collected = new Map<string, Endpoint>();
    const add = (address: string, port: number, conditions: EndpointConditions, weight = 1): void => {
      const endpoint: Endpoint = {
        name: endpointName(backend, address, port),
        address,
        port,
        ...conditions,
        weight,
      };
      const existing = collected.get(endpoint.name);
      // The same address may appear in two slices while one replaces the other: keep its most usable state.
      if (existing === undefined || usability(endpoint) > usability(existing))
        collected.set(endpoint.name, endpoint);
    };
    const underivable = (): void => {
      this.#statuses.warn(
        service.sourced,
        `spec.ports: targetPort ${JSON.stringify(servicePort.targetPort)} of port ${servicePort.port} names a container port; endpoints listed without a port number cannot use it and are skipped`,
      );
    };

    if (this.#catalog.sliced.has(key)) {
      for (const slice of this.#catalog.slices.get(key) ?? []) {
        const port = slicePort(slice, portName, derived);
        if (port === undefined) continue;
        if (port === null) {
          underivable();
          continue;
        }
        const weight = endpointSliceWeight(slice.sourced, this.#statuses);
        for (const [index, endpoint] of slice.body.endpoints.entries()) {
          // kube-proxy uses only the first address: the API documents them as fungible.
          const address = endpoint.addresses[0] ?? '';
          if (!validAddress(slice.body.addressType, address)) {
            this.#statuses.warn(
              slice.sourced,
              `endpoints[${index}].addresses[0]: ${JSON.stringify(address)} is not a valid ${slice.body.addressType} address; skipped`,
            );
            continue;
          }
          // API defaults: ready nil ⇒ true; serving nil ⇒ ready; terminating nil ⇒ false.
          const ready = endpoint.conditions.ready ?? true;
          add(
            address,
            port,
            {
              ready,
              serving: endpoint.conditions.serving ?? ready,
              terminating: endpoint.conditions.terminating ?? false,
            },
            weight,
          );
        }
      }
    } else {
      const legacy = this.#catalog.endpoints.get(key);
      for (const subset of legacy === undefined ? [] : legacy.subsets) {
        const match =
          subset.ports.length === 0 ? null : subset.ports.find((p) => (p.name ?? '') === portName);
        if (match === undefined) continue;
        const port = match === null ? derived : match.port;
        if (port === null) {
          underivable();
          continue;
        }
        for (const [list, ready] of [
          [subset.addresses, true],
          [subset.notReadyAddresses, false],
        ] as const) {
          for (const address of list) {
            if (isIPv4(address.ip) || isIPv6(address.ip)) {
              add(address.ip, port, { ready, serving: ready, terminating: false });
            } else if (legacy !== undefined) {
              this.#statuses.warn(
                legacy.sourced,
                `subsets: ${JSON.stringify(address.ip)} is not an IP address; skipped`,
              );
            }
          }
        }
      }
    }
    return [...collected.values()].sort((a, b) => compareStrings(a.name, b.name));
  }
}

function findPort(spec: ServiceSpec, port: ServiceBackendPort): ServicePort | undefined {
  return port.number !== undefined
    ? spec.ports.find((p) => p.port === port.number)
    : spec.ports.find((p) => p.name === port.name);
}

/** The endpoint port when a source names none: the numeric targetPort, which defaults to the Service port. */
function derivedPort(servicePort: ServicePort): number | null {
  const target = servicePort.targetPort;
  if (target === undefined) return servicePort.port;
  if (typeof target === 'number') return target;
  // Kubernetes accepts a numeric string as an IntOrString written in quotes.
  return /^\d+$/.test(target) && Number(target) >= 1 && Number(target) <= 65535 ? Number(target) : null;
}

/**
 * The port of a slice for the Service port named `portName`: undefined when the slice does not serve it, null
 * when it does but the number cannot be derived. A slice without ports, or a port without a number ("not
 * restricted", the API says), falls back to the derived port.
 */
function slicePort(
  slice: EndpointSliceEntry,
  portName: string,
  derived: number | null,
): number | null | undefined {
  const ports = slice.body.ports;
  if (ports.length === 0) return derived;
  const match = ports.find((p) => (p.name ?? '') === portName);
  if (match === undefined) return undefined;
  return match.port ?? derived;
}

function validAddress(addressType: 'IPv4' | 'IPv6' | 'FQDN', address: string): boolean {
  switch (addressType) {
    case 'IPv4':
      return isIPv4(address);
    case 'IPv6':
      return isIPv6(address);
    case 'FQDN':
      return isDnsSubdomain(address);
  }
}

function usability(endpoint: Endpoint): number {
  return (endpoint.ready ? 4 : 0) + (endpoint.serving ? 2 : 0) + (endpoint.terminating ? 0 : 1);
}
