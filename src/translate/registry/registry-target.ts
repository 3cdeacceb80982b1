import {
  parseGroupedName,
  REGISTRY_API_GROUP,
  REGISTRY_SERVICE_KIND,
  registryObjectNamespace,
  registryServiceObjectName,
} from '../../objects/registry-names.js';

/** The emitted Service that stands for one registry service. */
export interface RegistryTarget {
  /** Kubernetes namespace and name of the Service the `registry` provider emits for it. */
  readonly namespace: string;
  readonly name: string;
  /** `<namespace>/<group>@@<service>`, for messages. */
  readonly label: string;
}

/** True for an Ingress `backend.resource` that designates a registry service. */
export function isRegistryResource(resource: {
  readonly apiGroup?: string | undefined;
  readonly kind: string;
}): boolean {
  return resource.apiGroup === REGISTRY_API_GROUP && resource.kind === REGISTRY_SERVICE_KIND;
}

/** Where registry service `groupedName` (`<group>@@<service>` or `<service>`) of `registryNamespace` lives; null when the name is malformed. */
export function registryTarget(registryNamespace: string, groupedName: string): RegistryTarget | null {
  const parsed = parseGroupedName(groupedName);
  if (parsed === null) return null;
  return {
    namespace: registryObjectNamespace(registryNamespace),
    name: registryServiceObjectName(registryNamespace, parsed.group, parsed.service),
    label: `${registryNamespace}/${parsed.group}@@${parsed.service}`,
  };
}
