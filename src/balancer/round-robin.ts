import type { BackendState } from '../endpoints/endpoint-state-registry.js';
import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { atIndexOutside, type CandidateSet } from './candidates.js';
import type { Picker, PickerContext } from './picker.js';

/**
 * Plain round robin over the candidates (see `CandidateSet`). Endpoint `weight` is ignored: every candidate gets
 * an equal share (weighted round robin is a separate policy).
 *
 * The rotation position lives in the backend's `BackendState`, which survives table swaps, so a reload continues
 * the rotation where the previous table left it. When the candidate set changed in between, the position is
 * reduced modulo the new size.
 */
export class RoundRobinPicker implements Picker {
  readonly #candidates: CandidateSet;
  readonly #state: BackendState;

  constructor(candidates: CandidateSet, state: BackendState) {
    this.#candidates = candidates;
    this.#state = state;
  }

  pick(_request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const list = this.#candidates.current();
    const count = list.length;
    if (count === 0) return null;
    const position = this.#state.roundRobinNext % count;
    this.#state.roundRobinNext = position + 1;
    return atIndexOutside(list, position, avoid);
  }
}

export function createRoundRobinPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'round_robin' }>,
  context: PickerContext,
): Picker {
  return new RoundRobinPicker(context.candidates, context.backend);
}
