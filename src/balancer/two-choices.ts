import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { type CandidateSet, firstOutside } from './candidates.js';
import type { Picker } from './picker.js';

/**
 * "The power of two random choices" (Mitzenmacher 2001): draw two distinct candidates at random and take the one
 * with the lower cost. Nearly as good as scanning every endpoint for the least loaded one, O(1), and it avoids the
 * herd behaviour of a global minimum (every process sending to the same idle endpoint at once). Subclasses give
 * the cost: in-flight requests (least_request) or latency × load (ewma).
 *
 * A weighted subclass draws each candidate with probability proportional to its weight (the second among the
 * others), O(log n) by bisection over cumulative weights kept per candidate list; when all weights are equal the
 * draws stay uniform and O(1). On equal costs the first draw wins, so an idle backend's shares follow the weights.
 */
export abstract class TwoChoicesPicker implements Picker {
  readonly #candidates: CandidateSet;
  readonly #random: () => number;
  readonly #weighted: boolean;
  /** The candidate list `#cumulative` belongs to (the set's array is replaced whenever it changes). */
  #list: readonly RuntimeEndpoint[] | null = null;
  /** Running sums of the weights of `#list`; null while the draws are uniform. */
  #cumulative: Float64Array | null = null;

  constructor(candidates: CandidateSet, random: () => number, weighted: boolean) {
    this.#candidates = candidates;
    this.#random = random;
    this.#weighted = weighted;
  }

  /** Lower is better. Reads live endpoint state only. */
  protected abstract cost(endpoint: RuntimeEndpoint): number;

  pick(_request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const list = this.#candidates.current();
    const count = list.length;
    if (count === 0) return null;
    if (count === 1) return list[0] as RuntimeEndpoint;
    if (this.#weighted && list !== this.#list) this.#prepare(list);
    const cumulative = this.#weighted ? this.#cumulative : null;
    let first: number;
    let second: number;
    if (cumulative === null) {
      first = Math.floor(this.#random() * count);
      // A second index different from the first, uniformly among the other count - 1.
      second = Math.floor(this.#random() * (count - 1));
      if (second >= first) second++;
    } else {
      const total = cumulative[count - 1] as number;
      first = bisect(cumulative, this.#random() * total);
      // The second among the others: a draw over the total less the first's weight, skipping its interval.
      const before = first === 0 ? 0 : (cumulative[first - 1] as number);
      const weight = (cumulative[first] as number) - before;
      let at = this.#random() * (total - weight);
      if (at >= before) at += weight;
      second = bisect(cumulative, at);
      if (second === first) second = (first + 1) % count;
    }
    const a = list[first] as RuntimeEndpoint;
    const b = list[second] as RuntimeEndpoint;
    if (avoid !== null) {
      const avoidA = avoid.has(a.name);
      const avoidB = avoid.has(b.name);
      if (avoidA && avoidB) return firstOutside(list, first + 1, avoid) ?? a;
      if (avoidA) return b;
      if (avoidB) return a;
    }
    return this.cost(b) < this.cost(a) ? b : a;
  }

  /** Cumulative weights of a new candidate list (weights below 1 count as 1), or null when they are all equal. */
  #prepare(list: readonly RuntimeEndpoint[]): void {
    this.#list = list;
    const first = Math.max(1, (list[0] as RuntimeEndpoint).weight);
    let equal = true;
    const cumulative = new Float64Array(list.length);
    let sum = 0;
    for (let i = 0; i < list.length; i++) {
      const weight = Math.max(1, (list[i] as RuntimeEndpoint).weight);
      if (weight !== first) equal = false;
      sum += weight;
      cumulative[i] = sum;
    }
    this.#cumulative = equal ? null : cumulative;
  }
}

/** The first index whose running sum exceeds `at` (the interval `at` falls in); the last one at the top end. */
function bisect(cumulative: Float64Array, at: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cumulative[mid] as number) > at) high = mid;
    else low = mid + 1;
  }
  return low;
}
