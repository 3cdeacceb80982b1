import type { LoadBalancerPolicy } from '../ir/types.js';
import type { RuntimeEndpoint } from '../runtime/table.js';
import type { Picker, PickerContext } from './picker.js';
import { TwoChoicesPicker } from './two-choices.js';

/**
 * Envoy's `LEAST_REQUEST`: power of two choices on in-flight tries. With unequal weights the two are drawn in
 * proportion to their weights and compared on in-flight / weight, Envoy's effective load with its default
 * `active_request_bias` of 1: at rest the shares follow the weights, under load each endpoint carries requests in
 * proportion to its weight. In-flight counts live in the endpoint state, fed by the data plane's
 * `onStart`/`onEnd`, and are per process.
 */
export class LeastRequestPicker extends TwoChoicesPicker {
  protected cost(endpoint: RuntimeEndpoint): number {
    return endpoint.state.inFlight / Math.max(1, endpoint.weight);
  }
}

export function createLeastRequestPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'least_request' }>,
  context: PickerContext,
): Picker {
  return new LeastRequestPicker(context.candidates, context.registry.random, true);
}
