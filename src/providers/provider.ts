import type { ObjectSet } from '../objects/envelope.js';

/**
 * A source of Kubernetes-shaped objects. `run` emits the provider's complete current set whenever it changes
 * (never deltas, never routes) until `signal` aborts, then resolves. The first emit marks the provider synced.
 */
export interface Provider {
  readonly name: string;
  run(emit: (set: ObjectSet) => void, signal: AbortSignal): Promise<void>;
}
