/**
 * `tidegate.io/v1alpha1 RegistryRoute`: the concise way to route to registry services, for the gateway + registry
 * setup (host `api.example.com`, `/order/...` → registry service `order-service`):
 * ```yaml
 * apiVersion: tidegate.io/v1alpha1
 * kind: RegistryRoute
 * metadata: { name: api, namespace: default }
 * spec:
 *   host: api.example.com          # optional; absent = every host
 *   registryNamespace: public      # optional; default from metadata.namespace (default → public)
 *   routes:
 *     - pathPrefix: /order         # element-wise prefix, as Ingress `Prefix`
 *       service: order-service     # `<service>` (DEFAULT_GROUP) or `<group>@@<service>`
 *       stripPrefix: true          # the upstream sees /x for /order/x; default false
 * ```
 */
import { z } from 'zod';

export const REGISTRY_ROUTE_API_VERSION = 'tidegate.io/v1alpha1';
export const REGISTRY_ROUTE_KIND = 'RegistryRoute';

export const registryRouteSpecSchema = z.object({
  host: z.string().min(1).optional(),
  registryNamespace: z.string().min(1).optional(),
  routes: z
    .array(
      z.object({
        pathPrefix: z.string().default('/'),
        service: z.string().min(1),
        stripPrefix: z.boolean().default(false),
      }),
    )
    .min(1),
});
export type RegistryRouteSpec = z.infer<typeof registryRouteSpecSchema>;
