import { vhostName } from '../../ir/names.js';
import type { Route, VirtualHost } from '../../ir/types.js';
import { compareNumbers, compareStrings } from '../order.js';
import type { StatusBook } from '../status-book.js';
import { CATCH_ALL_HOST, isWildcardHost } from './hosts.js';
import { creationTime } from './ingress-age.js';
import { compareRoutePrecedence, matchKey, type RankedRoute } from './route-order.js';
import type { IngressContribution } from './translate-ingress.js';

interface HostRoutes {
  readonly ranked: (RankedRoute & { readonly route: Route })[];
  /** matchKey → who declared it first, for conflict messages. */
  readonly claims: Map<
    string,
    { readonly label: string; readonly field: string; readonly ingressOrder: number }
  >;
  /** The Ingress whose defaultBackend serves this host's unmatched requests. */
  fallbackOwner: { readonly label: string; readonly ingressOrder: number } | null;
}

/**
 * Merges the routes of every served Ingress into virtual hosts.
 * - Several Ingresses may share a host; when two declare the same match on it (same pathType and path), the
 *   older Ingress wins (creation time, then namespace/name: the order of `contributions`), as ingress-nginx
 *   does, and the loser gets a warning naming the winner.
 * - A defaultBackend serves what no rule matches: it becomes the lowest-precedence `/` route of the catch-all
 *   host `*` (the Ingress spec) and, as ingress-nginx does with its root location, of every host the Ingress
 *   has rules for, since a request whose host matches a rule never falls through to `*`. On each host the
 *   oldest Ingress' defaultBackend wins.
 * @param contributions served Ingresses, oldest first.
 */
export function buildVirtualHosts(
  contributions: readonly IngressContribution[],
  statuses: StatusBook,
): VirtualHost[] {
  const hosts = new Map<string, HostRoutes>();
  const hostRoutes = (hostname: string): HostRoutes => {
    let entry = hosts.get(hostname);
    if (entry === undefined) {
      entry = { ranked: [], claims: new Map(), fallbackOwner: null };
      hosts.set(hostname, entry);
    }
    return entry;
  };

  for (const [ingressOrder, contribution] of contributions.entries()) {
    for (const [pathOrder, { hostname, route, field }] of contribution.routes.entries()) {
      const entry = hostRoutes(hostname);
      const key = matchKey(route.match);
      const winner = entry.claims.get(key);
      if (winner !== undefined) {
        const by =
          winner.ingressOrder === ingressOrder
            ? `${winner.field} of this Ingress`
            : `Ingress ${winner.label} (${winner.field}), ${precedence(contributions, winner.ingressOrder, ingressOrder)}`;
        statuses.warn(
          contribution.ingress,
          `${field}: ${describeMatch(route)} on host ${JSON.stringify(hostname)} is already served by ${by}; ignored`,
        );
        continue;
      }
      entry.claims.set(key, { label: contribution.label, field, ingressOrder });
      entry.ranked.push({ match: route.match, fallback: false, ingressOrder, pathOrder, route });
    }
  }

  for (const [ingressOrder, contribution] of contributions.entries()) {
    if (contribution.defaultRoute === null) continue;
    const targets = [CATCH_ALL_HOST, ...contribution.hosts.filter((host) => host !== CATCH_ALL_HOST)];
    for (const hostname of targets) {
      const entry = hostRoutes(hostname);
      if (entry.fallbackOwner !== null) {
        statuses.warn(
          contribution.ingress,
          `spec.defaultBackend: unmatched requests on host ${JSON.stringify(hostname)} go to the defaultBackend of Ingress ${entry.fallbackOwner.label}, ${precedence(contributions, entry.fallbackOwner.ingressOrder, ingressOrder)}; ignored there`,
        );
        continue;
      }
      entry.fallbackOwner = { label: contribution.label, ingressOrder };
      const route = contribution.defaultRoute(hostname);
      entry.ranked.push({ match: route.match, fallback: true, ingressOrder, pathOrder: 0, route });
    }
  }

  return [...hosts.entries()]
    .sort(([a], [b]) => compareNumbers(hostGroup(a), hostGroup(b)) || compareStrings(a, b))
    .map(([hostname, entry]) => ({
      name: vhostName(hostname),
      hostname,
      routes: entry.ranked.sort(compareRoutePrecedence).map((ranked) => ranked.route),
    }));
}

/** Exact hostnames, then wildcards, then the catch-all (the IR order). */
function hostGroup(hostname: string): number {
  return hostname === CATCH_ALL_HOST ? 2 : isWildcardHost(hostname) ? 1 : 0;
}

/** Why the Ingress at `winner` outranks the one at `loser` (positions in `contributions`). */
function precedence(contributions: readonly IngressContribution[], winner: number, loser: number): string {
  const a = contributions[winner];
  const b = contributions[loser];
  if (a === undefined || b === undefined) return 'which comes first';
  return creationTime(a.ingress) < creationTime(b.ingress)
    ? 'which is older'
    : 'which has the same age and comes first by namespace/name';
}

function describeMatch(route: Route): string {
  const match = route.match;
  return match.type === 'RegularExpression'
    ? `regular expression ${JSON.stringify(match.pattern)}`
    : `${match.type} path ${JSON.stringify(match.path)}`;
}
