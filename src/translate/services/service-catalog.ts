import { refOf, type SourcedObject } from '../../objects/envelope.js';
import {
  describeZodError,
  type EndpointSliceBody,
  type EndpointsSubsets,
  endpointSliceBodySchema,
  endpointsSubsetsSchema,
  type ServiceSpec,
  serviceSpecSchema,
} from '../../objects/schemas.js';
import { isDnsSubdomain } from '../addresses.js';
import type { Inventory } from '../inventory.js';
import { metadataString } from '../metadata.js';
import type { StatusBook } from '../status-book.js';

/** The label that ties an EndpointSlice to its Service (`discovery.k8s.io/v1`, "Ownership" in the API docs). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ServiceEntry {
  readonly sourced: SourcedObject;
  readonly namespace: string;
  readonly name: string;
  /** null when the body failed validation (the Service is then rejected and unusable as a backend). */
  readonly spec: ServiceSpec | null;
  /** For `type: ExternalName`: the validated DNS name without a trailing dot. */
  readonly externalName: string | null;
}

export interface EndpointSliceEntry {
  readonly sourced: SourcedObject;
  readonly body: EndpointSliceBody;
}

export interface EndpointsEntry {
  readonly sourced: SourcedObject;
  readonly subsets: EndpointsSubsets;
}

/** Services and their endpoint sources, validated and indexed by `<namespace>/<name>`. */
export interface ServiceCatalog {
  readonly services: ReadonlyMap<string, ServiceEntry>;
  /** Valid EndpointSlices by `<namespace>/<service>`, each list sorted by slice name. */
  readonly slices: ReadonlyMap<string, readonly EndpointSliceEntry[]>;
  /**
   * `<namespace>/<service>` of every Service that has at least one EndpointSlice, valid or not: legacy Endpoints
   * are only read for Services without any slice, since the EndpointSlice mirroring controller copies them.
   */
  readonly sliced: ReadonlySet<string>;
  readonly endpoints: ReadonlyMap<string, EndpointsEntry>;
}

export const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * Validates every Service, EndpointSlice and Endpoints object (each gets a status; an invalid one is rejected
 * alone) and indexes the valid ones for backend resolution.
 */
export function buildServiceCatalog(inventory: Inventory, statuses: StatusBook): ServiceCatalog {
  const services = new Map<string, ServiceEntry>();
  for (const sourced of inventory.services) {
    const entry = readService(sourced, statuses);
    services.set(serviceKey(entry.namespace, entry.name), entry);
  }

  const slices = new Map<string, EndpointSliceEntry[]>();
  const sliced = new Set<string>();
  for (const sourced of inventory.endpointSlices) {
    const { namespace } = refOf(sourced.object);
    const label = metadataString(sourced, 'labels', SERVICE_NAME_LABEL);
    const service = label === undefined || label === '' ? null : label;
    if (service !== null) sliced.add(serviceKey(namespace, service));
    const { addressType, endpoints, ports } = sourced.object;
    const parsed = endpointSliceBodySchema.safeParse({ addressType, endpoints, ports });
    if (!parsed.success) {
      statuses.reject(sourced, 'Invalid', describeZodError(parsed.error, ''));
      continue;
    }
    statuses.accept(sourced);
    if (service === null) {
      statuses.warn(
        sourced,
        `no ${SERVICE_NAME_LABEL} label: the slice belongs to no Service and is ignored`,
      );
      continue;
    }
    const key = serviceKey(namespace, service);
    const list = slices.get(key);
    if (list === undefined) slices.set(key, [{ sourced, body: parsed.data }]);
    else list.push({ sourced, body: parsed.data });
  }

  const endpoints = new Map<string, EndpointsEntry>();
  for (const sourced of inventory.endpoints) {
    const parsed = endpointsSubsetsSchema.safeParse(sourced.object.subsets);
    if (!parsed.success) {
      statuses.reject(sourced, 'Invalid', describeZodError(parsed.error, 'subsets'));
      continue;
    }
    statuses.accept(sourced);
    const { namespace, name } = refOf(sourced.object);
    endpoints.set(serviceKey(namespace, name), { sourced, subsets: parsed.data });
  }
  return { services, slices, sliced, endpoints };
}

function readService(sourced: SourcedObject, statuses: StatusBook): ServiceEntry {
  const { namespace, name } = refOf(sourced.object);
  const rejected = (message: string): ServiceEntry => {
    statuses.reject(sourced, 'Invalid', message);
    return { sourced, namespace, name, spec: null, externalName: null };
  };
  const parsed = serviceSpecSchema.safeParse(sourced.object.spec ?? {});
  if (!parsed.success) return rejected(describeZodError(parsed.error, 'spec'));
  const spec = parsed.data;
  let externalName: string | null = null;
  if (spec.type === 'ExternalName') {
    // The API server validates externalName as an RFC 1123 subdomain after trimming one trailing dot.
    const raw = spec.externalName ?? '';
    const trimmed = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    if (!isDnsSubdomain(trimmed)) {
      return rejected(
        raw === ''
          ? 'spec.externalName: required for type ExternalName'
          : `spec.externalName: ${JSON.stringify(raw)} is not a valid lower-case DNS name`,
      );
    }
    externalName = trimmed;
  }
  const names = new Set<string>();
  for (const [index, port] of spec.ports.entries()) {
    // Kubernetes requires unique port names (and names on every port when there are several); endpoint ports
    // are matched by name, so an ambiguous name would pick endpoints at random.
    const portName = port.name ?? '';
    if (names.has(portName)) {
      return rejected(`spec.ports[${index}].name: duplicate port name ${JSON.stringify(portName)}`);
    }
    names.add(portName);
  }
  statuses.accept(sourced);
  return { sourced, namespace, name, spec, externalName };
}
