import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { type CandidateSet, firstOutside } from './candidates.js';
import type { Picker } from './picker.js';

/**
 * "The power of two random choices" (Mitzenmacher 2001): draw two distinct candidates at random and take the one
 * with the lower cost. Nearly as good as scanning every endpoint for the least loaded one, O(1), and it avoids the
 * herd behaviour of a global minimum (every process sending to the same idle endpoint at once). Subclasses give
 * the cost: in-flight requests (least_request) or latency × load (ewma).
 */
export abstract class TwoChoicesPicker implements Picker {
  readonly #candidates: CandidateSet;
  readonly #random: () => number;

  constructor(candidates: CandidateSet, random: () => number) {
    this.#candidates = candidates;
    this.#random = random;
  }

  /** Lower is better. Reads live endpoint state only. */
  protected abstract cost(endpoint: RuntimeEndpoint): number;

  pick(_request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const list = this.#candidates.current();
    const count = list.length;
    if (count === 0) return null;
    if (count === 1) return list[0] as RuntimeEndpoint;
    const first = Math.floor(this.#random() * count);
    // A second index different from the first, uniformly among the other count - 1.
    let second = Math.floor(this.#random() * (count - 1));
    if (second >= first) second++;
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
}
