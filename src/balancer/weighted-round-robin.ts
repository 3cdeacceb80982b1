import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import type { Picker, PickerContext } from './picker.js';

/**
 * nginx's smooth weighted round robin (`ngx_http_upstream_get_peer`): every pick adds each candidate's weight to
 * its running weight, takes the largest, and subtracts the total from the winner. Weights 5,1,1 give
 * a a b a c a a rather than a a a a a b c: shares follow the weights and the heavy endpoint's requests are
 * spread out. O(n) per pick, like nginx. Running weights live in the endpoint state, so they survive reloads.
 * Endpoints with weight 0 receive nothing while another candidate has a positive weight.
 */
export class WeightedRoundRobinPicker implements Picker {
  readonly #candidates: CandidateSet;

  constructor(candidates: CandidateSet) {
    this.#candidates = candidates;
  }

  pick(_request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const list = this.#candidates.current();
    let best = this.#select(list, avoid);
    if (best === null && avoid !== null) best = this.#select(list, null);
    return best ?? list[0] ?? null;
  }

  #select(list: readonly RuntimeEndpoint[], avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    let total = 0;
    let best: RuntimeEndpoint | null = null;
    for (let i = 0; i < list.length; i++) {
      const endpoint = list[i] as RuntimeEndpoint;
      if (endpoint.weight <= 0 || avoid?.has(endpoint.name)) continue;
      const state = endpoint.state;
      state.wrrCurrent += endpoint.weight;
      total += endpoint.weight;
      if (best === null || state.wrrCurrent > best.state.wrrCurrent) best = endpoint;
    }
    if (best !== null) best.state.wrrCurrent -= total;
    return best;
  }
}

export function createWeightedRoundRobinPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'weighted_round_robin' }>,
  context: PickerContext,
): Picker {
  return new WeightedRoundRobinPicker(context.candidates);
}
