import type { SourcedObject } from '../../objects/envelope.js';
import { ENDPOINT_WEIGHT_ANNOTATION } from '../../objects/registry-names.js';
import { metadataString } from '../metadata.js';
import type { StatusBook } from '../status-book.js';

/** Nacos' accepted weight range; weights feed `weighted_round_robin`. */
const MAX_WEIGHT = 10_000;

/**
 * The weight of the endpoints of one EndpointSlice: annotation `tidegate.io/endpoint-weight` (a number from 0 to
 * 10000, fractions allowed as Nacos has them), default 1. EndpointSlices have no weight field, so the `registry`
 * provider groups instances of equal weight into one slice and writes it here; hand-written slices may do the same.
 * A value that cannot be read is reported and 1 used.
 */
export function endpointSliceWeight(slice: SourcedObject, statuses: StatusBook): number {
  const raw = metadataString(slice, 'annotations', ENDPOINT_WEIGHT_ANNOTATION);
  if (raw === undefined) return 1;
  const weight = raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isFinite(weight) && weight >= 0 && weight <= MAX_WEIGHT) return weight;
  statuses.warn(
    slice,
    `annotation ${ENDPOINT_WEIGHT_ANNOTATION}: invalid value ${JSON.stringify(raw)} (expected a number from 0 to ${MAX_WEIGHT}); using 1`,
  );
  return 1;
}
