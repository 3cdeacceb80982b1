import { compareStrings } from '../order.js';
import type { IngressContribution } from './translate-ingress.js';

/**
 * The backends an Ingress' routes (and its defaultBackend) forward to, sorted: the backends its per-backend
 * annotations (balancing, affinity, circuit breaking) apply to.
 */
export function contributionBackends(contribution: IngressContribution): string[] {
  const backends = new Set<string>();
  for (const { route } of contribution.routes)
    if (route.action.type === 'forward') backends.add(route.action.backend);
  if (contribution.defaultRoute !== null) {
    const action = contribution.defaultRoute('*').action;
    if (action.type === 'forward') backends.add(action.backend);
  }
  return [...backends].sort(compareStrings);
}
