/**
 * The API resources the fake API server serves, with the URL layout of the real one: the core group under
 * `/api/v1`, named groups under `/apis/<group>/<version>`, namespaced collections under `namespaces/<ns>/`.
 */

export interface ApiResource {
  /** Plural resource name, as in URLs and RBAC rules. */
  readonly resource: string;
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Whether the resource has a `status` subresource (then writes to the main resource leave `status` alone). */
  readonly statusSubresource: boolean;
}

/** What tidegate reads and writes (plus Endpoints, for completeness of the core kinds it understands). */
export const API_RESOURCES: readonly ApiResource[] = [
  {
    resource: 'ingresses',
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    namespaced: true,
    statusSubresource: true,
  },
  {
    resource: 'ingressclasses',
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    namespaced: false,
    statusSubresource: false,
  },
  {
    resource: 'services',
    group: '',
    version: 'v1',
    kind: 'Service',
    namespaced: true,
    statusSubresource: true,
  },
  {
    resource: 'endpointslices',
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    namespaced: true,
    statusSubresource: false,
  },
  {
    resource: 'endpoints',
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    namespaced: true,
    statusSubresource: false,
  },
  {
    resource: 'secrets',
    group: '',
    version: 'v1',
    kind: 'Secret',
    namespaced: true,
    statusSubresource: false,
  },
  {
    resource: 'leases',
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    namespaced: true,
    statusSubresource: false,
  },
];

/** `apiVersion` as objects carry it: `v1` for the core group, `<group>/<version>` otherwise. */
export function apiVersionOf(resource: ApiResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** A parsed request path. */
export interface ResourcePath {
  readonly resource: ApiResource;
  /** Undefined for cluster-wide collections (`/apis/networking.k8s.io/v1/ingresses`). */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/**
 * Parses `/api/v1/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]` and the `/apis/<group>/<version>/…` form.
 * Returns null for any other path (the real server answers 404 there too).
 */
export function parseResourcePath(pathname: string): ResourcePath | null {
  const parts = pathname.split('/').filter((part) => part !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return null;
  const version = group === '' ? 'v1' : (parts[2] as string);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = API_RESOURCES.find(
    (r) => r.group === group && r.version === version && r.resource === rest[0],
  );
  if (!resource || rest.length > 3) return null;
  if (!resource.namespaced && namespace !== undefined) return null;
  return { resource, namespace, name: rest[1], subresource: rest[2] };
}
