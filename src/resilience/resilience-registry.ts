import { StateRegistry } from '../endpoints/state-registry.js';
import { BackendGuard } from './backend-guard.js';
import { CanaryCounter } from './canary-split.js';

/**
 * Resilience state that must survive table swaps, one per process: the guard of each backend (limits, retry
 * budget, trip breaker) keyed by backend name, and each route's canary position keyed by route name. `compile`
 * acquires; the owner of the swap calls `retain` with the live names.
 */
export class ResilienceRegistry {
  readonly #backends = new StateRegistry<BackendGuard>((name) => new BackendGuard(name));
  readonly #canaries = new StateRegistry<CanaryCounter>(() => new CanaryCounter());

  backend(name: string): BackendGuard {
    return this.#backends.acquire(name);
  }

  /** The guard of `name` if it has one; never creates (views). */
  existingBackend(name: string): BackendGuard | undefined {
    return this.#backends.get(name);
  }

  canary(routeName: string): CanaryCounter {
    return this.#canaries.acquire(routeName);
  }

  /** Drops the state of backends and routes that are gone from the live table. */
  retain(backendNames: Iterable<string>, routeNames: Iterable<string>): void {
    this.#backends.retain(backendNames);
    this.#canaries.retain(routeNames);
  }
}
