import type { HashKeyPart, LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { EndpointSetCache } from './endpoint-set-cache.js';
import { hashKeyOf, stableHash } from './hash-key.js';
import type { Picker, PickerContext } from './picker.js';

/** Envoy's default Maglev table size: a prime well above 100 × the endpoints of any realistic backend. */
const TABLE_SIZE = 65_537;
const OFFSET_SEED = 0x9747b28c;
const SKIP_SEED = 0x5bd1e995;

/** Tables by backend, rebuilt only when the endpoint set (names, weights) changes. */
const TABLES = new EndpointSetCache(maglevTable);

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4): every endpoint walks its own permutation of the
 * table slots (offset and skip from two hashes of its name) and the endpoints take turns claiming their next free
 * slot, so each owns a share in proportion to its weight; a key maps to `table[hash % size]`. One array read per
 * pick, O(1); removing one of N endpoints remaps close to 1/N of the keys. The table depends only on the endpoint
 * names and weights, so every process and replica builds the same one, and a compile with an unchanged endpoint
 * set reuses the backend's table.
 *
 * When the slot's endpoint is unavailable (or already tried), the following slots are read in order: their owners
 * are spread evenly, and only the unusable endpoint's keys move.
 */
export class MaglevPicker implements Picker {
  readonly #table: Int32Array;
  readonly #endpoints: readonly RuntimeEndpoint[];
  readonly #candidates: CandidateSet;
  readonly #parts: readonly HashKeyPart[];

  constructor(parts: readonly HashKeyPart[], context: PickerContext) {
    this.#endpoints = context.candidates.eligible;
    this.#table = TABLES.get(context.backend, this.#endpoints);
    this.#candidates = context.candidates;
    this.#parts = parts;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    if (this.#endpoints.length === 0 || this.#candidates.current().length === 0) return null;
    const start = stableHash(hashKeyOf(this.#parts, request)) % TABLE_SIZE;
    const table = this.#table;
    const candidates = this.#candidates;
    let fallback: RuntimeEndpoint | null = null;
    for (let i = 0; i < TABLE_SIZE; i++) {
      const endpoint = this.#endpoints[table[(start + i) % TABLE_SIZE] as number] as RuntimeEndpoint;
      if (!candidates.accepts(endpoint)) continue;
      if (avoid === null || !avoid.has(endpoint.name)) return endpoint;
      fallback ??= endpoint;
      // Every candidate is met within a few hundred slots; stop once the one we have is all there is.
      if (i > 4 * this.#endpoints.length + 64) break;
    }
    return fallback;
  }
}

/**
 * The Maglev lookup table for `endpoints` (indices into it); empty entries only when there are no endpoints.
 * Weighted as Envoy's `MaglevTable` does: in round `r`, an endpoint claims its next slot only once
 * `r × weight` has caught up with its running target, which grows by the largest weight per claim. An endpoint
 * of the largest weight claims every round, one of a third of it every third round, so slot shares follow the
 * weights; with equal weights this is the paper's plain round. Weights below 1 count as 1, as on the ring.
 */
export function maglevTable(endpoints: readonly RuntimeEndpoint[]): Int32Array {
  const table = new Int32Array(TABLE_SIZE).fill(-1);
  const count = endpoints.length;
  if (count === 0) return table;
  const offsets = new Uint32Array(count);
  const skips = new Uint32Array(count);
  const next = new Uint32Array(count);
  const weights = new Float64Array(count);
  const targets = new Float64Array(count);
  let maxWeight = 1;
  for (let i = 0; i < count; i++) {
    const endpoint = endpoints[i] as RuntimeEndpoint;
    offsets[i] = stableHash(endpoint.name, OFFSET_SEED) % TABLE_SIZE;
    skips[i] = (stableHash(endpoint.name, SKIP_SEED) % (TABLE_SIZE - 1)) + 1;
    weights[i] = Math.max(1, endpoint.weight);
    maxWeight = Math.max(maxWeight, weights[i] as number);
  }
  let filled = 0;
  for (let round = 1; ; round++) {
    for (let i = 0; i < count; i++) {
      if (round * (weights[i] as number) < (targets[i] as number)) continue;
      targets[i] = (targets[i] as number) + maxWeight;
      let slot = ((offsets[i] as number) + (next[i] as number) * (skips[i] as number)) % TABLE_SIZE;
      while (table[slot] !== -1) {
        next[i] = (next[i] as number) + 1;
        slot = ((offsets[i] as number) + (next[i] as number) * (skips[i] as number)) % TABLE_SIZE;
      }
      table[slot] = i;
      next[i] = (next[i] as number) + 1;
      if (++filled === TABLE_SIZE) return table;
    }
  }
}

export function createMaglevPicker(
  policy: Extract<LoadBalancerPolicy, { readonly type: 'maglev' }>,
  context: PickerContext,
): Picker {
  return new MaglevPicker(policy.hashBy, context);
}
