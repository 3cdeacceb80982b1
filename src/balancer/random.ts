import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { atIndexOutside, type CandidateSet } from './candidates.js';
import type { Picker, PickerContext } from './picker.js';

/** A uniformly random candidate; stateless, so it needs no coordination between processes. */
export class RandomPicker implements Picker {
  readonly #candidates: CandidateSet;
  readonly #random: () => number;

  constructor(candidates: CandidateSet, random: () => number) {
    this.#candidates = candidates;
    this.#random = random;
  }

  pick(_request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const list = this.#candidates.current();
    const count = list.length;
    if (count === 0) return null;
    return atIndexOutside(list, Math.floor(this.#random() * count), avoid);
  }
}

export function createRandomPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'random' }>,
  context: PickerContext,
): Picker {
  return new RandomPicker(context.candidates, context.registry.random);
}
