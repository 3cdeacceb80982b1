/**
 * How registry services appear in the object language. The `registry` provider emits each registry service as a
 * `v1 Service` plus `discovery.k8s.io/v1 EndpointSlice`s, and translation resolves Ingress `backend.resource`
 * references (`apiGroup: registry.tidegate.io`, `kind: Service`) and RegistryRoutes to the same names. Both sides
 * derive the names here, so they always agree; the mapping is deterministic across replicas and restarts.
 */
import { fnv1a32 } from '../core/hash.js';

/** `backend.resource.apiGroup` that designates a registry service. */
export const REGISTRY_API_GROUP = 'registry.tidegate.io';
/** `backend.resource.kind` of a registry service. */
export const REGISTRY_SERVICE_KIND = 'Service';
/** Nacos' default namespace and group (`public`, `DEFAULT_GROUP`); a name without `@@` is in the default group. */
export const REGISTRY_DEFAULT_NAMESPACE = 'public';
export const REGISTRY_DEFAULT_GROUP = 'DEFAULT_GROUP';
/** The port every emitted Service declares; instance ports travel in the EndpointSlices. */
export const REGISTRY_SERVICE_PORT = 80;
export const REGISTRY_PORT_NAME = 'http';
/** EndpointSlice annotation: the relative weight of every endpoint of the slice (a number ≥ 0, default 1). */
export const ENDPOINT_WEIGHT_ANNOTATION = 'tidegate.io/endpoint-weight';
/** Annotations on emitted Services naming the registry service they stand for (informational). */
export const REGISTRY_NAMESPACE_ANNOTATION = 'registry.tidegate.io/namespace';
export const REGISTRY_GROUP_ANNOTATION = 'registry.tidegate.io/group';
export const REGISTRY_SERVICE_ANNOTATION = 'registry.tidegate.io/service';

/** The Kubernetes namespace `default` and the Nacos namespace `public` are each other's defaults. */
const KUBERNETES_DEFAULT_NAMESPACE = 'default';
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The Kubernetes namespace of the objects emitted for registry namespace `namespace`: `public` → `default`, a
 * name that is already a DNS label stays as it is, anything else becomes a DNS-safe slug with a hash suffix.
 */
export function registryObjectNamespace(namespace: string): string {
  if (namespace === REGISTRY_DEFAULT_NAMESPACE) return KUBERNETES_DEFAULT_NAMESPACE;
  return DNS_LABEL.test(namespace) ? namespace : hashedSlug(namespace, namespace);
}

/** The registry namespace an object of Kubernetes namespace `namespace` refers to: `default` → `public`. */
export function registryNamespaceFor(namespace: string): string {
  return namespace === KUBERNETES_DEFAULT_NAMESPACE ? REGISTRY_DEFAULT_NAMESPACE : namespace;
}

/**
 * The Service name of a registry service: a DNS-safe slug of the service name plus 8 hex digits of FNV-1a over
 * `<namespace>/<group>@@<service>`, e.g. `order-service-1c2d3e4f`. The hash keeps names unique when the slug is
 * lossy (case, `_`, `:`) and apart from Services of other providers; it never depends on the instances.
 */
export function registryServiceObjectName(namespace: string, group: string, service: string): string {
  return hashedSlug(service, `${namespace}/${group}@@${service}`);
}

/** `<group>@@<service>` or `<service>` (default group), as Nacos writes grouped names; null when malformed. */
export function parseGroupedName(name: string): { readonly group: string; readonly service: string } | null {
  const at = name.indexOf('@@');
  if (at < 0) return name === '' ? null : { group: REGISTRY_DEFAULT_GROUP, service: name };
  const group = name.slice(0, at);
  const service = name.slice(at + 2);
  return group === '' || service === '' || service.includes('@@') ? null : { group, service };
}

function hashedSlug(text: string, hashed: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 54)
    .replace(/-+$/, '');
  const hash = fnv1a32(hashed).toString(16).padStart(8, '0');
  return slug === '' ? `r-${hash}` : `${slug}-${hash}`;
}
