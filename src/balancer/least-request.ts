import type { LoadBalancerPolicy } from '../ir/types.js';
import type { RuntimeEndpoint } from '../runtime/table.js';
import type { Picker, PickerContext } from './picker.js';
import { TwoChoicesPicker } from './two-choices.js';

/**
 * Envoy's `LEAST_REQUEST` with equal weights: power of two choices on in-flight tries. In-flight counts live in the
 * endpoint state, fed by the data plane's `onStart`/`onEnd`, and are per process. Weights are not considered.
 */
export class LeastRequestPicker extends TwoChoicesPicker {
  protected cost(endpoint: RuntimeEndpoint): number {
    return endpoint.state.inFlight;
  }
}

export function createLeastRequestPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'least_request' }>,
  context: PickerContext,
): Picker {
  return new LeastRequestPicker(context.candidates, context.registry.random);
}
