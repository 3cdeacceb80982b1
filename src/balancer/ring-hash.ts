import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { hashKeyOf, stableHash } from './hash-key.js';
import type { Picker, PickerContext } from './picker.js';

/**
 * Points per unit of weight on small sets (shares vary by about 1/√points: ~3% here, ketama's 160 give ~8%);
 * fewer per endpoint on large sets to bound the ring.
 */
const MAX_POINTS_PER_ENDPOINT = 1000;
/** Ring size bound: 64 Ki points keep a build in the low milliseconds even at thousands of endpoints. */
const RING_POINTS = 65_536;

/**
 * A consistent-hash ring over a fixed endpoint list (Karger et al. 1997; libketama, nginx `hash … consistent`).
 * Each endpoint owns points `stableHash("<name>#<i>")`, as many as its weight asks (relative to the others); a key
 * belongs to the first point clockwise of its hash. Adding or removing one of N endpoints moves about 1/N of
 * the keys, and the ring depends only on the endpoint names, so every process and replica agrees.
 */
export class HashRing {
  readonly endpoints: readonly RuntimeEndpoint[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(endpoints: readonly RuntimeEndpoint[]) {
    this.endpoints = endpoints;
    let totalWeight = 0;
    for (const endpoint of endpoints) totalWeight += Math.max(1, endpoint.weight);
    const perWeight = Math.max(
      1,
      Math.min(MAX_POINTS_PER_ENDPOINT, Math.floor(RING_POINTS / Math.max(1, totalWeight))),
    );
    const entries: { hash: number; owner: number }[] = [];
    endpoints.forEach((endpoint, owner) => {
      const points = perWeight * Math.max(1, endpoint.weight);
      for (let i = 0; i < points; i++) entries.push({ hash: stableHash(`${endpoint.name}#${i}`), owner });
    });
    // Ties (rare) break by owner index, which follows the sorted endpoint names: still deterministic.
    entries.sort((a, b) => a.hash - b.hash || a.owner - b.owner);
    this.#points = Uint32Array.from(entries, (entry) => entry.hash);
    this.#owners = Uint32Array.from(entries, (entry) => entry.owner);
  }

  /**
   * The owner of `hash`, walking clockwise past endpoints `candidates` does not accept (unavailable) and, while
   * possible, those in `avoid`. O(log n) for the search; the walk only runs when the owner is unusable.
   */
  lookup(hash: number, candidates: CandidateSet, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const points = this.#points;
    const size = points.length;
    if (size === 0 || candidates.current().length === 0) return null;
    let low = 0;
    let high = size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((points[mid] as number) < hash) low = mid + 1;
      else high = mid;
    }
    let fallback: RuntimeEndpoint | null = null;
    for (let i = 0; i < size; i++) {
      const endpoint = this.endpoints[this.#owners[(low + i) % size] as number] as RuntimeEndpoint;
      if (!candidates.accepts(endpoint)) continue;
      if (avoid === null || !avoid.has(endpoint.name)) return endpoint;
      fallback ??= endpoint;
    }
    return fallback;
  }
}

/** ingress-nginx `upstream-hash-by` (its default consistent hashing) and Envoy's `RING_HASH`. */
export class RingHashPicker implements Picker {
  readonly #ring: HashRing;
  readonly #candidates: CandidateSet;
  readonly #parts: Extract<LoadBalancerPolicy, { readonly type: 'ring_hash' }>['hashBy'];

  constructor(policy: Extract<LoadBalancerPolicy, { readonly type: 'ring_hash' }>, candidates: CandidateSet) {
    this.#ring = new HashRing(candidates.eligible);
    this.#candidates = candidates;
    this.#parts = policy.hashBy;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    return this.#ring.lookup(stableHash(hashKeyOf(this.#parts, request)), this.#candidates, avoid);
  }
}

export function createRingHashPicker(
  policy: Extract<LoadBalancerPolicy, { readonly type: 'ring_hash' }>,
  context: PickerContext,
): Picker {
  return new RingHashPicker(policy, context.candidates);
}
