/**
 * The load-balancing extension point. A factory per `LoadBalancerPolicy` type resolves the policy's options and
 * the eligible endpoints once, at compile time; the returned picker only reads fields and long-lived state on the
 * request path. New policies (least_request, ewma, ring_hash, maglev…) add an IR policy variant and an entry in
 * `pickerFactories`; the mapped type makes a missing entry a compile error.
 *
 * The IR and runtime-table imports are type-only: they name the data a picker reads and returns, and create no
 * module dependency from the balancer on those folders.
 */
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { createRoundRobinPicker } from './round-robin.js';

/** Chooses an endpoint per request. Synchronous and allocation-free on the request path. */
export interface Picker {
  /** An eligible endpoint, or null when there is none (the data plane answers 503). */
  pick(request: PickRequest): RuntimeEndpoint | null;
}

/** What a factory gets at compile time. */
export interface PickerContext {
  /** Backend name, the key of its long-lived state. */
  readonly backend: string;
  /** Every endpoint of the backend, including those that are not ready. */
  readonly endpoints: readonly RuntimeEndpoint[];
  readonly state: EndpointStateRegistry;
}

export type PickerFactory<P extends LoadBalancerPolicy> = (policy: P, context: PickerContext) => Picker;

export type PickerFactories = {
  readonly [K in LoadBalancerPolicy['type']]: PickerFactory<
    Extract<LoadBalancerPolicy, { readonly type: K }>
  >;
};

export const pickerFactories: PickerFactories = {
  round_robin: createRoundRobinPicker,
};

/** The picker for `policy`, built by its factory. */
export function createPicker(policy: LoadBalancerPolicy, context: PickerContext): Picker {
  return pickerFactories[policy.type](policy, context);
}
