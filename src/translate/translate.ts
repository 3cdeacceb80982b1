import { DEFAULT_CIRCUIT_BREAKER } from '../ir/resilience-defaults.js';
import type { TranslateResult } from '../ir/types.js';
import type { SourcedObject } from '../objects/envelope.js';
import type { AnnotationDefaults } from './annotations/ingress-annotations.js';
import { CertificateCollector } from './certificates.js';
import { mergeCanaries } from './ingress/canary.js';
import { circuitBreakersByBackend } from './ingress/circuit-breakers.js';
import { oldestFirst } from './ingress/ingress-age.js';
import { IngressClassSelector } from './ingress/ingress-class.js';
import { type IngressContribution, translateIngress } from './ingress/translate-ingress.js';
import { buildVirtualHosts } from './ingress/virtual-hosts.js';
import { takeInventory } from './inventory.js';
import { translateRegistryRoute } from './registry/translate-registry-route.js';
import { balancingByBackend } from './services/backend-balancing.js';
import { BackendResolver } from './services/backends.js';
import { buildServiceCatalog } from './services/service-catalog.js';
import { StatusBook } from './status-book.js';

export interface TranslateOptions {
  /** The class name this controller answers to, e.g. `tidegate`, even without an IngressClass object. */
  readonly ingressClassName: string;
  /** `spec.controller` of the IngressClasses that are ours, e.g. `tidegate.io/ingress-controller`. */
  readonly controllerName: string;
  /** Serve class-less Ingresses when no IngressClass is marked default. */
  readonly watchWithoutClass: boolean;
  /** Route settings that annotations override. */
  readonly defaults: AnnotationDefaults;
}

/**
 * Translates Kubernetes objects into the IR and a status for every object looked at. Pure: no I/O, clock or
 * randomness, and the output depends only on the set of objects, not their order. Never throws on user input:
 * a bad object is rejected alone with a reason and everything else keeps serving.
 */
export function translate(objects: readonly SourcedObject[], options: TranslateOptions): TranslateResult {
  const statuses = new StatusBook();
  const inventory = takeInventory(objects, statuses);
  const classes = new IngressClassSelector(inventory.ingressClasses, options, statuses);
  const catalog = buildServiceCatalog(inventory, statuses);
  const backends = new BackendResolver(catalog, statuses);
  const certificates = new CertificateCollector(inventory.secrets, statuses);

  const contributions: IngressContribution[] = [];
  for (const ingress of oldestFirst(inventory.ingresses)) {
    const contribution = translateIngress(ingress, {
      classes,
      backends,
      certificates,
      defaults: options.defaults,
      statuses,
    });
    if (contribution !== null) contributions.push(contribution);
  }
  // After the Ingresses: on a conflicting host and path the Ingress wins, a RegistryRoute gets the warning.
  for (const route of oldestFirst(inventory.registryRoutes)) {
    const contribution = translateRegistryRoute(route, { backends, defaults: options.defaults, statuses });
    if (contribution !== null) contributions.push(contribution);
  }
  const { mains, merged } = mergeCanaries(contributions, statuses);
  const virtualHosts = buildVirtualHosts(mains, statuses);
  for (const { ingress } of [...mains, ...merged]) {
    statuses.set(ingress, 'Programmed', true, 'Programmed', 'routes are in the routing table');
  }
  const circuitBreakers = circuitBreakersByBackend(mains, statuses);

  const referenced = new Set<string>();
  for (const vhost of virtualHosts) {
    for (const route of vhost.routes) {
      if (route.action.type !== 'forward') continue;
      referenced.add(route.action.backend);
      if (route.action.canary) referenced.add(route.action.canary.backend);
    }
  }
  const served = backends.backends(referenced);
  const balancing = balancingByBackend(served, mains, catalog, statuses);
  return {
    ir: {
      virtualHosts,
      backends: served.map((backend) => ({
        ...backend,
        ...balancing.get(backend.name),
        circuitBreaker: circuitBreakers.get(backend.name) ?? DEFAULT_CIRCUIT_BREAKER,
      })),
      certificates: certificates.certificates(),
    },
    statuses: statuses.toStatuses(),
  };
}
