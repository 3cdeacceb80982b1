import type { LoadBalancerPolicy } from '../ir/types.js';
import type { RuntimeEndpoint } from '../runtime/table.js';
import type { Picker, PickerContext } from './picker.js';
import { TwoChoicesPicker } from './two-choices.js';

/**
 * Latency assumed for an endpoint without a sample yet. Linkerd's default RTT (30 ms): low enough that new
 * endpoints get traffic and thus a real estimate, high enough not to look better than a fast warm endpoint.
 */
const DEFAULT_RTT_MS = 30;

/**
 * Peak-EWMA balancing, Finagle's and Linkerd's "rebalancer" (ingress-nginx's `ewma`): cost = peak-EWMA latency ×
 * (in-flight + 1), power of two choices. A slow endpoint's cost rises at its first slow answer (peak) and its
 * queue multiplies it, so traffic drains away from it within a few requests and returns as it recovers. The EWMA
 * is kept by `EndpointStateRegistry.ended`.
 */
export class EwmaPicker extends TwoChoicesPicker {
  protected cost(endpoint: RuntimeEndpoint): number {
    const state = endpoint.state;
    const latency = state.ewmaMs === 0 ? DEFAULT_RTT_MS : state.ewmaMs;
    return latency * (state.inFlight + 1);
  }
}

export function createEwmaPicker(
  _policy: Extract<LoadBalancerPolicy, { readonly type: 'ewma' }>,
  context: PickerContext,
): Picker {
  return new EwmaPicker(context.candidates, context.registry.random, false);
}
