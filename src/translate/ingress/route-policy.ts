import type { PathRewrite, RoutePolicy } from '../../ir/types.js';
import type { IngressAnnotations } from '../annotations/ingress-annotations.js';

/** ingress-nginx answers its SSL redirects with 308 so that the method and body survive (RFC 9110 §15.4.9). */
const HTTPS_REDIRECT = { status: 308, port: null } as const;

/**
 * The policy of one route from the Ingress annotations that apply to it (body size, timeouts, upstream protocol,
 * retries), shared by Ingresses and RegistryRoutes so that both honour the annotations alike. What differs per
 * route kind is decided by the caller: the path rewrite (`rewrite-target` or `stripPrefix`) and whether plain HTTP
 * is redirected to HTTPS. The first-byte timeout defaults to the read timeout, as nginx's `proxy_read_timeout`
 * also bounds the wait for the response head.
 */
export function routePolicy(
  annotations: IngressAnnotations,
  rewrite: PathRewrite | null,
  httpsRedirect: boolean,
): RoutePolicy {
  return {
    rewrite,
    httpsRedirect: httpsRedirect ? HTTPS_REDIRECT : null,
    maxBodyBytes: annotations.maxBodyBytes,
    timeouts: {
      ...annotations.timeouts,
      firstByteMs: annotations.resilience.firstByteMs ?? annotations.timeouts.readMs,
      requestMs: annotations.resilience.requestMs,
    },
    upstreamProtocol: annotations.upstreamProtocol,
    retry: annotations.resilience.retry,
  };
}
