import type { RuntimeEndpoint } from '../runtime/table.js';

/**
 * The endpoints a picker may choose from: the ready ones; when none is ready, those that are serving and
 * terminating. That fallback is kube-proxy's (KEP-1669, ProxyTerminatingEndpoints): during a rolling update
 * where every pod is shutting down, sending traffic to pods that still serve beats failing every request.
 * Returns a new array (compile time only).
 */
export function eligibleEndpoints(endpoints: readonly RuntimeEndpoint[]): readonly RuntimeEndpoint[] {
  const ready = endpoints.filter((endpoint) => endpoint.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((endpoint) => endpoint.serving && endpoint.terminating);
}
