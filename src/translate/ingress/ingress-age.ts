import { refOf, type SourcedObject } from '../../objects/envelope.js';
import { compareNumbers, compareStrings } from '../order.js';

/**
 * Ingresses by age, the order in which conflicts between them are settled (as ingress-nginx does):
 * `creationTimestamp`, then namespace and name.
 */
export function oldestFirst(ingresses: readonly SourcedObject[]): SourcedObject[] {
  return ingresses
    .map((sourced) => ({ sourced, ref: refOf(sourced.object), created: creationTime(sourced) }))
    .sort(
      (a, b) =>
        compareNumbers(a.created, b.created) ||
        compareStrings(a.ref.namespace, b.ref.namespace) ||
        compareStrings(a.ref.name, b.ref.name),
    )
    .map(({ sourced }) => sourced);
}

/**
 * `metadata.creationTimestamp` in ms (RFC 3339, as the API serves it). An object without one, as in
 * hand-written files, counts as oldest: `-Infinity`.
 */
export function creationTime(sourced: SourcedObject): number {
  const timestamp: unknown = sourced.object.metadata.creationTimestamp;
  const ms = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
