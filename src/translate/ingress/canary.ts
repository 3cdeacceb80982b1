import type { CanaryPolicy, IrSource, Route } from '../../ir/types.js';
import { refOf } from '../../objects/envelope.js';
import type { StatusBook } from '../status-book.js';
import { matchKey } from './route-order.js';
import type { IngressContribution, IngressRoute } from './translate-ingress.js';

export interface CanaryMerge {
  /** The non-canary Ingresses, their routes carrying the canary of the same host and path. */
  readonly mains: readonly IngressContribution[];
  /** Canary Ingresses merged into at least one route. */
  readonly merged: readonly IngressContribution[];
}

/**
 * ingress-nginx canaries: an Ingress with `canary: "true"` serves no routes of its own; each of its rule paths
 * becomes the alternative backend of the main Ingress' route with the same host and path (same pathType too),
 * selected per request by its header, cookie and weight rules. Like ingress-nginx, a host and path takes one
 * canary: the oldest wins, later ones are reported. A canary path without a main route, or whose Service does not
 * resolve, is reported and ignored; so is a canary's defaultBackend.
 * @param contributions served Ingresses, oldest first.
 */
export function mergeCanaries(
  contributions: readonly IngressContribution[],
  statuses: StatusBook,
): CanaryMerge {
  const mains = contributions.filter((c) => c.resilience.canary === null);
  const served = new Set<string>();
  for (const main of mains) for (const entry of main.routes) served.add(keyOf(entry));

  const canaries = new Map<string, { readonly policy: CanaryPolicy; readonly label: string }>();
  const merged: IngressContribution[] = [];
  for (const contribution of contributions) {
    const rules = contribution.resilience.canary;
    if (rules === null) continue;
    const ref = refOf(contribution.ingress.object);
    const source: IrSource = { kind: 'Ingress', namespace: ref.namespace, name: ref.name };
    if (contribution.defaultRoute !== null)
      statuses.warn(
        contribution.ingress,
        'spec.defaultBackend: a canary Ingress only splits rule paths; ignored',
      );
    let used = false;
    for (const entry of contribution.routes) {
      const key = keyOf(entry);
      const where = `${entry.field}: ${describe(entry)}`;
      const action = entry.route.action;
      if (action.type !== 'forward') {
        statuses.warn(contribution.ingress, `${where}: the canary backend does not resolve; ignored`);
        continue;
      }
      if (!served.has(key)) {
        statuses.warn(contribution.ingress, `${where}: no main Ingress serves this host and path; ignored`);
        continue;
      }
      const taken = canaries.get(key);
      if (taken !== undefined) {
        statuses.warn(
          contribution.ingress,
          `${where}: already split by the older canary Ingress ${taken.label} (one canary per host and path); ignored`,
        );
        continue;
      }
      canaries.set(key, {
        label: contribution.label,
        policy: {
          backend: action.backend,
          source,
          header: rules.header,
          headerValue: rules.headerValue,
          headerPattern: rules.headerPattern,
          cookie: rules.cookie,
          weight: rules.weight,
          weightTotal: rules.weightTotal,
        },
      });
      used = true;
    }
    if (used) merged.push(contribution);
    else
      statuses.set(
        contribution.ingress,
        'Programmed',
        false,
        'NoMainIngress',
        'no path of this canary Ingress matches a route of a main Ingress',
      );
  }
  if (canaries.size === 0) return { mains, merged };
  return {
    merged,
    mains: mains.map((main) => ({
      ...main,
      routes: main.routes.map((entry) => {
        const canary = canaries.get(keyOf(entry));
        return canary === undefined ? entry : { ...entry, route: withCanary(entry.route, canary.policy) };
      }),
    })),
  };
}

function withCanary(route: Route, canary: CanaryPolicy): Route {
  return route.action.type === 'forward' ? { ...route, action: { ...route.action, canary } } : route;
}

function keyOf(entry: IngressRoute): string {
  return `${entry.hostname}\n${matchKey(entry.route.match)}`;
}

function describe(entry: IngressRoute): string {
  const match = entry.route.match;
  const path = match.type === 'RegularExpression' ? match.pattern : match.path;
  return `host ${JSON.stringify(entry.hostname)} path ${JSON.stringify(path)}`;
}
