import type { TranslateResult } from '../ir/types.js';
import type { SourcedObject } from '../objects/envelope.js';
import type { AnnotationDefaults } from './annotations/ingress-annotations.js';
import { CertificateCollector } from './certificates.js';
import { oldestFirst } from './ingress/ingress-age.js';
import { IngressClassSelector } from './ingress/ingress-class.js';
import { type IngressContribution, translateIngress } from './ingress/translate-ingress.js';
import { buildVirtualHosts } from './ingress/virtual-hosts.js';
import { takeInventory } from './inventory.js';
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
  const backends = new BackendResolver(buildServiceCatalog(inventory, statuses), statuses);
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
  const virtualHosts = buildVirtualHosts(contributions, statuses);
  for (const { ingress } of contributions) {
    statuses.set(ingress, 'Programmed', true, 'Programmed', 'routes are in the routing table');
  }

  const referenced = new Set<string>();
  for (const vhost of virtualHosts) {
    for (const route of vhost.routes)
      if (route.action.type === 'forward') referenced.add(route.action.backend);
  }
  return {
    ir: { virtualHosts, backends: backends.backends(referenced), certificates: certificates.certificates() },
    statuses: statuses.toStatuses(),
  };
}
