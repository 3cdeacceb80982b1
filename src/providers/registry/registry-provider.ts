import type { ObjectSet } from '../../objects/envelope.js';
import type { RegistryStore } from '../../registry/store.js';
import type { Provider } from '../provider.js';
import { registryObjects } from './registry-objects.js';

/**
 * Default quiet period of the provider: short, because the control loop debounces again and a registration must
 * be routable within a second.
 */
export const REGISTRY_DEBOUNCE_MS = 50;

export interface RegistryProviderOptions {
  readonly store: RegistryStore;
  /** Quiet period that turns a burst of registry changes (a deploy registering 50 pods) into one emit, ms. */
  readonly debounceMs: number;
}

/**
 * Emits the registry's content as Services and EndpointSlices (see `registryObjects`): once at start, then after
 * every burst of store changes, debounced. It only reads the store's synchronous snapshot, so it works the same
 * over the embedded and the etcd store; with etcd every replica emits what its own watch has seen.
 */
export class RegistryProvider implements Provider {
  readonly name = 'registry';
  readonly #options: RegistryProviderOptions;

  constructor(options: RegistryProviderOptions) {
    this.#options = options;
  }

  run(emit: (set: ObjectSet) => void, signal: AbortSignal): Promise<void> {
    const { store, debounceMs } = this.#options;
    let lastRevision = -1;
    const publish = (): void => {
      const snapshot = store.snapshot();
      if (snapshot.revision === lastRevision) return;
      lastRevision = snapshot.revision;
      emit({ provider: this.name, objects: registryObjects(snapshot, this.name), errors: [] });
    };
    let timer: NodeJS.Timeout | null = null;
    const off = store.onChange(() => {
      if (timer !== null || signal.aborted) return;
      timer = setTimeout(() => {
        timer = null;
        publish();
      }, debounceMs);
    });
    publish();
    return new Promise<void>((resolve) => {
      const stop = (): void => {
        off();
        if (timer !== null) clearTimeout(timer);
        resolve();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }
}
