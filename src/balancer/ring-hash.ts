import type { BackendState } from '../endpoints/endpoint-state-registry.js';
import type { HashKeyPart, LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { EndpointSetCache } from './endpoint-set-cache.js';
import { hashKeyOf, stableHash } from './hash-key.js';
import type { Picker, PickerContext } from './picker.js';

/**
 * Points per unit of weight on small sets (shares vary by about 1/√points: ~3% here, ketama's 160 give ~8%);
 * fewer per endpoint on large sets to bound the ring.
 */
const MAX_POINTS_PER_ENDPOINT = 1000;
/** Ring size bound: 64 Ki points keep a build in the low milliseconds even at thousands of endpoints. */
const RING_POINTS = 65_536;
/** A point is sorted as `hash × 2^21 + owner` in one double (exact below 2^53): up to 2 Mi endpoints. */
const OWNER_SPAN = 2 ** 21;

/**
 * The points of a consistent-hash ring over an endpoint list (Karger et al. 1997; libketama, nginx `hash …
 * consistent`): endpoint `i` owns points `stableHash("<name>#<k>")`, as many as its weight asks (relative to the
 * others). Holds indices into the list only, so one instance serves every compile with the same endpoint set
 * (`HashRing.for`). Depends only on names and weights: every process and replica builds the same ring.
 */
export class RingPoints {
  /** Point hashes, ascending. */
  readonly points: Uint32Array;
  /** `owners[i]`: index of the endpoint owning `points[i]`. */
  readonly owners: Uint32Array;
  /** Point indices grouped by owner (`byOwner[start[o]] … byOwner[start[o + 1] - 1]`); built on first use. */
  #byOwner: Uint32Array | null = null;
  #start: Uint32Array | null = null;
  /** Running sums of the arc lengths of the points in `#byOwner` order (for `positionOf`). */
  #arcs: Float64Array | null = null;

  constructor(endpoints: readonly RuntimeEndpoint[]) {
    let totalWeight = 0;
    for (const endpoint of endpoints) totalWeight += Math.max(1, endpoint.weight);
    // Up to 64 Ki points, whole points per unit of weight; heavier sets scale weights down to stay in the bound.
    const perWeight =
      totalWeight <= RING_POINTS
        ? Math.min(MAX_POINTS_PER_ENDPOINT, Math.floor(RING_POINTS / Math.max(1, totalWeight)))
        : RING_POINTS / totalWeight;
    const counts = endpoints.map((endpoint) =>
      Math.max(1, Math.floor(perWeight * Math.max(1, endpoint.weight))),
    );
    let size = 0;
    for (const count of counts) size += count;
    const packed = new Float64Array(size);
    let at = 0;
    for (let owner = 0; owner < endpoints.length; owner++) {
      const name = (endpoints[owner] as RuntimeEndpoint).name;
      const count = counts[owner] as number;
      for (let k = 0; k < count; k++) packed[at++] = stableHash(`${name}#${k}`) * OWNER_SPAN + owner;
    }
    // A numeric typed-array sort; ties (rare) break by owner index, which follows the sorted endpoint names.
    packed.sort();
    this.points = new Uint32Array(size);
    this.owners = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      const value = packed[i] as number;
      const owner = value % OWNER_SPAN;
      this.owners[i] = owner;
      this.points[i] = (value - owner) / OWNER_SPAN;
    }
  }

  /** Index of the point owning `hash`: the first at or clockwise of it. O(log n). Ring must not be empty. */
  indexOf(hash: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((points[mid] as number) < hash) low = mid + 1;
      else high = mid;
    }
    return low === points.length ? 0 : low;
  }

  /**
   * A ring position owned by endpoint `owner`, uniformly at random over its arcs (`random` in [0, 1)). Positions
   * spread like that are spread like hashed keys: when endpoints are added, the share that moves to them is
   * their share of the ring, as for any key. (Drawing a point first, then a place in its arc, would favour short
   * arcs, which new points rarely split: only 1 − ln 2 ≈ 31% would move where 50% should.)
   */
  positionOf(owner: number, random: () => number): number {
    const points = this.points;
    const size = points.length;
    if (size === 1) return Math.floor(random() * 2 ** 32);
    const byOwner = this.#ownerIndex();
    const start = (this.#start as Uint32Array)[owner] as number;
    const end = ((this.#start as Uint32Array)[owner + 1] as number) - 1;
    const arcs = this.#arcs as Float64Array;
    const base = start === 0 ? 0 : (arcs[start - 1] as number);
    const at = base + random() * ((arcs[end] as number) - base);
    let low = start;
    let high = end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((arcs[mid] as number) > at) high = mid;
      else low = mid + 1;
    }
    const point = byOwner[low] as number;
    const arcStart = low === 0 ? 0 : (arcs[low - 1] as number);
    const previous = points[point === 0 ? size - 1 : point - 1] as number;
    return (previous + 1 + Math.min(Math.floor(at - arcStart), arcLength(points, point) - 1)) >>> 0;
  }

  #ownerIndex(): Uint32Array {
    if (this.#byOwner !== null) return this.#byOwner;
    const owners = this.owners;
    let endpoints = 0;
    for (let i = 0; i < owners.length; i++) endpoints = Math.max(endpoints, (owners[i] as number) + 1);
    const start = new Uint32Array(endpoints + 1);
    for (let i = 0; i < owners.length; i++) {
      const slot = (owners[i] as number) + 1;
      start[slot] = (start[slot] as number) + 1;
    }
    for (let o = 0; o < endpoints; o++) start[o + 1] = (start[o + 1] as number) + (start[o] as number);
    const fill = start.slice(0, endpoints);
    const byOwner = new Uint32Array(owners.length);
    for (let i = 0; i < owners.length; i++) {
      const owner = owners[i] as number;
      byOwner[fill[owner] as number] = i;
      fill[owner] = (fill[owner] as number) + 1;
    }
    // Running sums of the arc lengths in `byOwner` order: an owner's territory is the difference of two of them,
    // exact in doubles (the sums never exceed 2^32).
    const arcs = new Float64Array(owners.length);
    let sum = 0;
    for (let k = 0; k < byOwner.length; k++) {
      sum += arcLength(this.points, byOwner[k] as number);
      arcs[k] = sum;
    }
    this.#start = start;
    this.#arcs = arcs;
    this.#byOwner = byOwner;
    return byOwner;
  }
}

/** Positions owned by point `i`: those after the previous point up to it (the whole ring for a lone point). */
function arcLength(points: Uint32Array, i: number): number {
  const size = points.length;
  if (size === 1) return 2 ** 32;
  return ((points[i] as number) - (points[i === 0 ? size - 1 : i - 1] as number)) >>> 0;
}

/** Rings by backend, rebuilt only when the endpoint set (names, weights) changes. */
const RINGS = new EndpointSetCache((endpoints) => new RingPoints(endpoints));

/**
 * A consistent-hash ring bound to this compile's endpoint objects. A key belongs to the first point clockwise of
 * its hash; adding or removing one of N endpoints moves about 1/N of the keys.
 */
export class HashRing {
  readonly endpoints: readonly RuntimeEndpoint[];
  readonly ring: RingPoints;

  constructor(endpoints: readonly RuntimeEndpoint[], ring: RingPoints) {
    this.endpoints = endpoints;
    this.ring = ring;
  }

  /** The ring of `endpoints` (in their sorted order), reusing the backend's cached points when the set is unchanged. */
  static for(state: BackendState, endpoints: readonly RuntimeEndpoint[]): HashRing {
    return new HashRing(endpoints, RINGS.get(state, endpoints));
  }

  /** The endpoint owning `hash`, usable or not; null on an empty ring. */
  ownerOf(hash: number): RuntimeEndpoint | null {
    if (this.endpoints.length === 0) return null;
    return this.endpoints[this.ring.owners[this.ring.indexOf(hash)] as number] as RuntimeEndpoint;
  }

  /**
   * The owner of `hash`, walking clockwise past endpoints `candidates` does not accept (unavailable) and, while
   * possible, those in `avoid`. O(log n) for the search; the walk only runs when the owner is unusable.
   */
  lookup(hash: number, candidates: CandidateSet, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const owners = this.ring.owners;
    const size = owners.length;
    if (size === 0 || candidates.current().length === 0) return null;
    const first = this.ring.indexOf(hash);
    let fallback: RuntimeEndpoint | null = null;
    for (let i = 0; i < size; i++) {
      const endpoint = this.endpoints[owners[(first + i) % size] as number] as RuntimeEndpoint;
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
  readonly #parts: readonly HashKeyPart[];

  constructor(parts: readonly HashKeyPart[], context: PickerContext) {
    this.#ring = HashRing.for(context.backend, context.candidates.eligible);
    this.#candidates = context.candidates;
    this.#parts = parts;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    return this.#ring.lookup(stableHash(hashKeyOf(this.#parts, request)), this.#candidates, avoid);
  }
}

export function createRingHashPicker(
  policy: Extract<LoadBalancerPolicy, { readonly type: 'ring_hash' }>,
  context: PickerContext,
): Picker {
  return new RingHashPicker(policy.hashBy, context);
}
