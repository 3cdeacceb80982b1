/** One kind the Kubernetes provider lists and watches. */
export interface WatchedKind {
  readonly kind: string;
  readonly apiVersion: string;
  /** Plural resource name, as in URLs and RBAC rules. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Whether the provider's `labelSelector` applies (only Ingresses: backends rarely carry the ingress labels). */
  readonly selectedByLabel: boolean;
  /**
   * Server-side field selector. Secrets are narrowed to `type=kubernetes.io/tls` so that service-account tokens,
   * Helm release blobs and other Secrets never reach the process at all.
   */
  readonly fieldSelector?: string | undefined;
}

/**
 * The kinds the provider watches, in the order objects are emitted. Their verbs (get, list, watch) are exactly
 * what `deploy/rbac.yaml` grants; a unit test keeps the two in step.
 */
export const WATCHED_KINDS: readonly WatchedKind[] = [
  {
    kind: 'IngressClass',
    apiVersion: 'networking.k8s.io/v1',
    resource: 'ingressclasses',
    namespaced: false,
    selectedByLabel: false,
  },
  {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    resource: 'ingresses',
    namespaced: true,
    selectedByLabel: true,
  },
  { kind: 'Service', apiVersion: 'v1', resource: 'services', namespaced: true, selectedByLabel: false },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    resource: 'endpointslices',
    namespaced: true,
    selectedByLabel: false,
  },
  {
    kind: 'Secret',
    apiVersion: 'v1',
    resource: 'secrets',
    namespaced: true,
    selectedByLabel: false,
    fieldSelector: 'type=kubernetes.io/tls',
  },
];

/** The collection URL: `/api/v1[/namespaces/<ns>]/<resource>` or `/apis/<group>/<version>[/namespaces/<ns>]/<resource>`. */
export function collectionPath(kind: WatchedKind, namespace: string | undefined): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  const scope =
    kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${scope}/${kind.resource}`;
}
