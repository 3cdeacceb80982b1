/**
 * zod schemas for the Kubernetes kinds tidegate reads, covering the fields it honours (unknown fields are
 * ignored, as the API server would keep them but we never act on them). Types are inferred from the schemas
 * so there is one definition of each shape.
 */
import { z } from 'zod';

const intOrString = z.union([z.number().int(), z.string().min(1)]);
const port = z.number().int().min(1).max(65535);

export const serviceSpecSchema = z.object({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
  clusterIP: z.string().optional(),
  externalName: z.string().optional(),
  selector: z.record(z.string(), z.string()).optional(),
  ports: z
    .array(
      z.object({
        name: z.string().optional(),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
        appProtocol: z.string().optional(),
        port,
        targetPort: intOrString.optional(),
        nodePort: port.optional(),
      }),
    )
    .default([]),
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
  sessionAffinityConfig: z
    .object({
      clientIP: z.object({ timeoutSeconds: z.number().int().min(1).max(86400).optional() }).optional(),
    })
    .optional(),
});
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

const endpointAddress = z.object({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
});
const endpointPort = z.object({
  name: z.string().optional(),
  port,
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  appProtocol: z.string().optional(),
});

/** Legacy `v1 Endpoints`: `subsets` at the top level, no spec. */
export const endpointsSubsetsSchema = z
  .array(
    z.object({
      addresses: z.array(endpointAddress).default([]),
      notReadyAddresses: z.array(endpointAddress).default([]),
      ports: z.array(endpointPort).default([]),
    }),
  )
  .default([]);
export type EndpointsSubsets = z.infer<typeof endpointsSubsetsSchema>;

/** `discovery.k8s.io/v1 EndpointSlice` body: `addressType`, `endpoints`, `ports` at the top level. */
export const endpointSliceBodySchema = z.object({
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  endpoints: z
    .array(
      z.object({
        addresses: z.array(z.string()).min(1),
        conditions: z
          .object({
            ready: z.boolean().nullish(),
            serving: z.boolean().nullish(),
            terminating: z.boolean().nullish(),
          })
          .default({}),
        hostname: z.string().optional(),
        nodeName: z.string().optional(),
        zone: z.string().optional(),
        hints: z.object({ forZones: z.array(z.object({ name: z.string() })).optional() }).optional(),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
  ports: z
    .array(
      z.object({
        name: z.string().nullish(),
        port: port.nullish(),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
        appProtocol: z.string().optional(),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export type EndpointSliceBody = z.infer<typeof endpointSliceBodySchema>;

const serviceBackendPort = z.union([
  z.object({ number: port, name: z.undefined().optional() }),
  z.object({ name: z.string().min(1), number: z.undefined().optional() }),
]);

export const ingressBackendSchema = z.union([
  z.object({
    service: z.object({ name: z.string().min(1), port: serviceBackendPort }),
    resource: z.undefined().optional(),
  }),
  z.object({
    resource: z.object({ apiGroup: z.string().optional(), kind: z.string().min(1), name: z.string().min(1) }),
    service: z.undefined().optional(),
  }),
]);
export type IngressBackend = z.infer<typeof ingressBackendSchema>;

export const ingressSpecSchema = z.object({
  ingressClassName: z.string().optional(),
  defaultBackend: ingressBackendSchema.optional(),
  tls: z
    .array(z.object({ hosts: z.array(z.string()).default([]), secretName: z.string().optional() }))
    .default([]),
  rules: z
    .array(
      z.object({
        host: z.string().optional(),
        http: z
          .object({
            paths: z
              .array(
                z.object({
                  path: z.string().optional(),
                  pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific']),
                  backend: ingressBackendSchema,
                }),
              )
              .min(1),
          })
          .optional(),
      }),
    )
    .default([]),
});
export type IngressSpec = z.infer<typeof ingressSpecSchema>;

export const ingressClassSpecSchema = z.object({
  controller: z.string().min(1),
  parameters: z
    .object({
      apiGroup: z.string().optional(),
      kind: z.string(),
      name: z.string(),
      namespace: z.string().optional(),
    })
    .optional(),
});
export type IngressClassSpec = z.infer<typeof ingressClassSpecSchema>;

/** A `kubernetes.io/tls` Secret; `data` is base64 as the API serves it, `stringData` plain as `kubectl apply` takes it. */
export const tlsSecretBodySchema = z.object({
  type: z.literal('kubernetes.io/tls'),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});
export type TlsSecretBody = z.infer<typeof tlsSecretBodySchema>;

/** Formats a zod error as `field.path: message` lines, the path relative to the object root. */
export function describeZodError(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter((p) => p !== '')
        .join('.')
        .replace(/\.\[/g, '[');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}
