import type { BackendState } from '../endpoints/endpoint-state-registry.js';
import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { eligibleEndpoints } from './eligible-endpoints.js';
import type { Picker, PickerContext } from './picker.js';

/**
 * Plain round robin over the eligible endpoints (see `eligibleEndpoints`). Endpoint `weight` is ignored: every
 * eligible endpoint gets an equal share (weighted round robin is a separate policy).
 *
 * The rotation position lives in the backend's `BackendState`, which survives table swaps, so a reload continues
 * the rotation where the previous table left it. When the eligible set changed in between, the position is
 * reduced modulo the new size.
 */
export class RoundRobinPicker implements Picker {
  readonly #eligible: readonly RuntimeEndpoint[];
  readonly #state: BackendState;

  constructor(endpoints: readonly RuntimeEndpoint[], state: BackendState) {
    this.#eligible = eligibleEndpoints(endpoints);
    this.#state = state;
  }

  pick(_request: PickRequest): RuntimeEndpoint | null {
    const eligible = this.#eligible;
    const count = eligible.length;
    if (count === 0) return null;
    const position = this.#state.roundRobinNext % count;
    this.#state.roundRobinNext = position + 1;
    return eligible[position] as RuntimeEndpoint;
  }
}

export function createRoundRobinPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'round_robin' }>,
  context: PickerContext,
): Picker {
  return new RoundRobinPicker(context.endpoints, context.state.backend(context.backend));
}
