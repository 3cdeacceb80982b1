import type { PathMatch } from '../../ir/types.js';
import { compareNumbers } from '../order.js';

/** A route with what its precedence depends on. */
export interface RankedRoute {
  readonly match: PathMatch;
  /** The defaultBackend route: after every rule path of the virtual host. */
  readonly fallback: boolean;
  /** Position of the Ingress by age (older first). */
  readonly ingressOrder: number;
  /** Position of the path inside its Ingress (rule, then path). */
  readonly pathOrder: number;
}

const TYPE_RANK: Readonly<Record<PathMatch['type'], number>> = { Exact: 0, Prefix: 1, RegularExpression: 2 };

/**
 * Route precedence inside a virtual host, for the first-match router (`router/path-router.ts`):
 * 1. the defaultBackend fallback last;
 * 2. longer paths first, which for Prefix paths is the Ingress spec's "longest matching path wins" (a shorter
 *    prefix that also matches is a prefix of the longer one, so it ranks after it), and which for regular
 *    expressions is ingress-nginx's rule: nginx tests `location ~*` blocks in the order written and
 *    ingress-nginx writes them sorted by descending path length (docs: "Ingress Path Matching"). The length of
 *    a regex is that of its pattern text, as in ingress-nginx;
 * 3. on equal length Exact before Prefix (the spec), and both before a regular expression of that length
 *    (a literal path is the more specific statement);
 * 4. then the older Ingress, then spec order, so that the result never depends on input order.
 */
export function compareRoutePrecedence(a: RankedRoute, b: RankedRoute): number {
  return (
    compareNumbers(a.fallback ? 1 : 0, b.fallback ? 1 : 0) ||
    compareNumbers(matchLength(b.match), matchLength(a.match)) ||
    compareNumbers(TYPE_RANK[a.match.type], TYPE_RANK[b.match.type]) ||
    compareNumbers(a.ingressOrder, b.ingressOrder) ||
    compareNumbers(a.pathOrder, b.pathOrder)
  );
}

/** Two routes with the same key can never both be reached: the key of what a match accepts. */
export function matchKey(match: PathMatch): string {
  return match.type === 'RegularExpression'
    ? `${match.type}${match.caseInsensitive ? '/i' : ''} ${match.pattern}`
    : `${match.type} ${match.path}`;
}

function matchLength(match: PathMatch): number {
  return match.type === 'RegularExpression' ? match.pattern.length : match.path.length;
}
