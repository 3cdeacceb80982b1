import { formatRef, refOf, type SourcedObject } from '../objects/envelope.js';
import { compareNumbers, compareStrings } from './order.js';
import type { StatusBook } from './status-book.js';

/** The input objects translation acts on, grouped by kind, each group sorted by namespace and name. */
export interface Inventory {
  readonly ingresses: readonly SourcedObject[];
  readonly ingressClasses: readonly SourcedObject[];
  readonly services: readonly SourcedObject[];
  readonly endpointSlices: readonly SourcedObject[];
  readonly endpoints: readonly SourcedObject[];
  readonly secrets: readonly SourcedObject[];
  /** `tidegate.io/v1alpha1 RegistryRoute`s: routes to registry services. */
  readonly registryRoutes: readonly SourcedObject[];
}

type Group = keyof Inventory;

/**
 * Supported kinds and the one apiVersion each is read in. Older versions (`networking.k8s.io/v1beta1` Ingress,
 * `discovery.k8s.io/v1beta1` EndpointSlice) have other field names, so they are refused rather than misread.
 * `Namespace` is accepted and ignored: manifests routinely include it and namespaces need no translation.
 */
const KINDS: Readonly<Record<string, { readonly apiVersion: string; readonly group: Group | null }>> = {
  Ingress: { apiVersion: 'networking.k8s.io/v1', group: 'ingresses' },
  IngressClass: { apiVersion: 'networking.k8s.io/v1', group: 'ingressClasses' },
  Service: { apiVersion: 'v1', group: 'services' },
  EndpointSlice: { apiVersion: 'discovery.k8s.io/v1', group: 'endpointSlices' },
  Endpoints: { apiVersion: 'v1', group: 'endpoints' },
  Secret: { apiVersion: 'v1', group: 'secrets' },
  Namespace: { apiVersion: 'v1', group: null },
  RegistryRoute: { apiVersion: 'tidegate.io/v1alpha1', group: 'registryRoutes' },
};

/**
 * Sorts the input (so that the output never depends on provider order), rejects duplicates and supported kinds in
 * an apiVersion we do not read, warns about kinds we do not route on, and groups the rest by kind. Of two objects with the same kind, namespace and name the one that
 * comes later by origin (provider, file, line) is rejected as `Duplicate`.
 */
export function takeInventory(objects: readonly SourcedObject[], statuses: StatusBook): Inventory {
  const groups: Record<Group, SourcedObject[]> = {
    ingresses: [],
    ingressClasses: [],
    services: [],
    endpointSlices: [],
    endpoints: [],
    secrets: [],
    registryRoutes: [],
  };
  const sorted = objects
    .map((sourced, index) => ({ sourced, index, key: refOf(sourced.object) }))
    .sort(
      (a, b) =>
        compareStrings(a.key.kind, b.key.kind) ||
        compareStrings(a.key.namespace, b.key.namespace) ||
        compareStrings(a.key.name, b.key.name) ||
        compareStrings(a.sourced.origin.provider, b.sourced.origin.provider) ||
        compareStrings(a.sourced.origin.file ?? '', b.sourced.origin.file ?? '') ||
        compareNumbers(a.sourced.origin.line ?? 0, b.sourced.origin.line ?? 0) ||
        compareNumbers(a.index, b.index),
    );
  let kept: SourcedObject | null = null;
  for (const { sourced, key } of sorted) {
    if (kept !== null && formatRef(refOf(kept.object)) === formatRef(key)) {
      statuses.reject(sourced, 'Duplicate', `${formatRef(key)} is already defined${describeOrigin(kept)}`);
      continue;
    }
    kept = sourced;
    const { kind, apiVersion } = sourced.object;
    const known = KINDS[kind];
    if (known === undefined) {
      // Manifests routinely bundle Deployments, ConfigMaps and the like next to the routing objects: they are not
      // errors, just not ours, so they are reported as a warning and `tidegate validate` still passes.
      statuses.warn(sourced, `${apiVersion} ${kind} is not a kind tidegate routes on; ignored`);
      continue;
    }
    if (apiVersion !== known.apiVersion) {
      statuses.reject(
        sourced,
        'UnsupportedKind',
        `${apiVersion} ${kind} is not supported (use ${known.apiVersion}); ignored`,
      );
      continue;
    }
    if (known.group !== null) groups[known.group].push(sourced);
  }
  return groups;
}

function describeOrigin(sourced: SourcedObject): string {
  const { file, line } = sourced.origin;
  if (file === undefined) return '';
  return line === undefined ? ` at ${file}` : ` at ${file}:${line}`;
}
