/**
 * Builders for the Kubernetes objects the e2e tests feed the file provider, as `kubectl apply` would take them,
 * and their multi-document YAML.
 */
import { stringify } from 'yaml';
import type { TestCertificate } from './certs.js';

/** A Kubernetes-shaped object as written to a manifest file. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [field: string]: unknown;
}

export const NAMESPACE = 'default';
/** The Service port every test Service exposes; its `targetPort` is the named port `http` of the EndpointSlices. */
export const SERVICE_PORT = 80;

/** Joins objects into one multi-document YAML file. */
export function toYaml(objects: readonly Manifest[]): string {
  return objects.map((object) => stringify(object)).join('---\n');
}

/** A ClusterIP Service with port 80 → the endpoints' port named `http`. */
export function service(name: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
  };
}

/** An endpoint of a Service; an `Upstream` fits as it is. */
export interface SliceEndpoint {
  readonly host: string;
  readonly port: number;
  /** EndpointSlice `conditions.ready`; default true. */
  readonly ready?: boolean | undefined;
}

/**
 * The EndpointSlices of `serviceName`: one per distinct port, since a slice has a single port list (as the
 * EndpointSlice controller splits them). An empty list gives no slice at all.
 */
export function endpointSlices(serviceName: string, endpoints: readonly SliceEndpoint[]): Manifest[] {
  const byPort = new Map<number, SliceEndpoint[]>();
  for (const endpoint of endpoints) {
    const list = byPort.get(endpoint.port) ?? [];
    list.push(endpoint);
    byPort.set(endpoint.port, list);
  }
  return [...byPort].map(([port, list]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${serviceName}-${port}`,
      namespace: NAMESPACE,
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: list.map((e) => ({ addresses: [e.host], conditions: { ready: e.ready ?? true } })),
  }));
}

/** A Service and its EndpointSlices. */
export function serviceWithEndpoints(name: string, endpoints: readonly SliceEndpoint[]): Manifest[] {
  return [service(name), ...endpointSlices(name, endpoints)];
}

export interface IngressPath {
  readonly path: string;
  /** Default Prefix. */
  readonly pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific' | undefined;
  readonly service: string;
}

export interface IngressRule {
  /** Absent for a rule that matches every host. */
  readonly host?: string | undefined;
  readonly paths: readonly IngressPath[];
}

export interface IngressOptions {
  readonly rules: readonly IngressRule[];
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly tls?: readonly { readonly hosts: readonly string[]; readonly secretName: string }[] | undefined;
}

/** A `networking.k8s.io/v1` Ingress of class `tidegate`, every backend on the Service port 80. */
export function ingress(name: string, options: IngressOptions): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: NAMESPACE,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      ingressClassName: 'tidegate',
      ...(options.tls ? { tls: options.tls } : {}),
      rules: options.rules.map((rule) => ({
        ...(rule.host === undefined ? {} : { host: rule.host }),
        http: {
          paths: rule.paths.map((p) => ({
            path: p.path,
            pathType: p.pathType ?? 'Prefix',
            backend: { service: { name: p.service, port: { number: SERVICE_PORT } } },
          })),
        },
      })),
    },
  };
}

/** A `kubernetes.io/tls` Secret holding `certificate`. */
export function tlsSecret(name: string, certificate: TestCertificate): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NAMESPACE },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': certificate.certPem, 'tls.key': certificate.keyPem },
  };
}
