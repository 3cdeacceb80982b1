/**
 * The load-balancing extension point. A factory per `LoadBalancerPolicy` type resolves the policy's options and
 * the eligible endpoints once, at compile time; the returned picker only reads fields and long-lived state on the
 * request path. A new policy adds an IR policy variant and an entry in `pickerFactories`; the mapped type makes a
 * missing entry a compile error.
 *
 * The IR and runtime-table imports are type-only: they name the data a picker reads and returns, and create no
 * module dependency from the balancer on those folders.
 */
import type { BackendState, EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { createEwmaPicker } from './ewma.js';
import { createLeastRequestPicker } from './least-request.js';
import { createMaglevPicker } from './maglev.js';
import { createRandomPicker } from './random.js';
import { createRingHashPicker } from './ring-hash.js';
import { createRoundRobinPicker } from './round-robin.js';
import { createWeightedRoundRobinPicker } from './weighted-round-robin.js';

/** Chooses an endpoint per request. Synchronous and allocation-free on the request path. */
export interface Picker {
  /**
   * A candidate endpoint, or null when there is none (the data plane answers 503). With `avoid` (names this
   * request already tried), a candidate outside it when one exists, else any candidate.
   */
  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null;
}

/** What a factory gets at compile time. */
export interface PickerContext {
  /** The backend's long-lived state (rotation position, health epoch, pins). */
  readonly backend: BackendState;
  /** The eligible endpoints and their live availability. */
  readonly candidates: CandidateSet;
  /** Randomness and time sources (injected: the balancer is a pure zone). */
  readonly registry: EndpointStateRegistry;
}

export type PickerFactory<P extends LoadBalancerPolicy> = (policy: P, context: PickerContext) => Picker;

export type PickerFactories = {
  readonly [K in LoadBalancerPolicy['type']]: PickerFactory<
    Extract<LoadBalancerPolicy, { readonly type: K }>
  >;
};

export const pickerFactories: PickerFactories = {
  round_robin: createRoundRobinPicker,
  weighted_round_robin: createWeightedRoundRobinPicker,
  random: createRandomPicker,
  least_request: createLeastRequestPicker,
  ewma: createEwmaPicker,
  ring_hash: createRingHashPicker,
  maglev: createMaglevPicker,
};

/** The picker for `policy`, built by its factory. */
export function createPicker(policy: LoadBalancerPolicy, context: PickerContext): Picker {
  // The mapped type guarantees the entry matches `policy.type`; TypeScript cannot narrow the union through it.
  return (pickerFactories[policy.type] as PickerFactory<LoadBalancerPolicy>)(policy, context);
}
