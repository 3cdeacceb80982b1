import type { CircuitBreakerPolicy } from '../../ir/types.js';
import type { StatusBook } from '../status-book.js';
import { contributionBackends } from './contribution-backends.js';
import type { IngressContribution } from './translate-ingress.js';

/**
 * The circuit-breaker policy of each backend. Limits and budgets are per backend (Envoy sets them on the cluster)
 * but come from Ingress annotations, and several Ingresses may use one Service: the oldest Ingress that sets any
 * `circuit-breaker-*` or `retry-budget-*` key decides, as with conflicting paths, and a younger one that asks
 * for different settings is told so. Backends nobody configures are absent (the caller uses the defaults).
 * @param mains served non-canary Ingresses, oldest first (a canary Ingress' other annotations are ignored, as
 *   in ingress-nginx).
 */
export function circuitBreakersByBackend(
  mains: readonly IngressContribution[],
  statuses: StatusBook,
): Map<string, CircuitBreakerPolicy> {
  const chosen = new Map<string, { readonly policy: CircuitBreakerPolicy; readonly label: string }>();
  for (const contribution of mains) {
    const policy = contribution.resilience.circuitBreaker;
    if (policy === null) continue;
    for (const backend of contributionBackends(contribution)) {
      const owner = chosen.get(backend);
      if (owner === undefined) chosen.set(backend, { policy, label: contribution.label });
      // Both built by the same parser, so their key order is the same.
      else if (JSON.stringify(owner.policy) !== JSON.stringify(policy))
        statuses.warn(
          contribution.ingress,
          `circuit-breaker annotations for ${backend} differ from those of the older Ingress ${owner.label}, which apply`,
        );
    }
  }
  return new Map([...chosen].map(([backend, { policy }]) => [backend, policy]));
}
