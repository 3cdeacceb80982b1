import type { Clock } from '../../core/clock.js';
import type { ServiceRef } from '../model.js';
import { selectInstances } from '../protection.js';
import type { LivenessTimeouts, RegistryStore } from '../store.js';
import { instanceListView } from './nacos-view.js';

/** Nacos' `SwitchDomain` cache hints: clients that can receive UDP pushes poll less often. */
const PUSH_CACHE_MILLIS = 10_000;
const DEFAULT_CACHE_MILLIS = 3_000;

/**
 * Builds the `/instance/list` answer, for a polling client and for a UDP push alike. `healthyOnly` and `clusters`
 * filter as Nacos does; an unknown service answers an empty host list (not an error), as Nacos does.
 */
export class ListAnswers {
  readonly #store: RegistryStore;
  readonly #clock: Clock;
  readonly #timeouts: LivenessTimeouts;

  constructor(store: RegistryStore, clock: Clock, timeouts: LivenessTimeouts) {
    this.#store = store;
    this.#clock = clock;
    this.#timeouts = timeouts;
  }

  async answer(
    ref: ServiceRef,
    clusters: string,
    healthyOnly: boolean,
    push: boolean,
  ): Promise<Record<string, unknown>> {
    const wanted = clusters === '' ? undefined : clusters.split(',');
    const [service, instances] = await Promise.all([
      this.#store.getService(ref),
      this.#store.listInstances(ref, wanted),
    ]);
    const selection = selectInstances(instances, service?.protectThreshold ?? 0, healthyOnly);
    return instanceListView(ref, service, clusters, selection, {
      cacheMillis: push ? PUSH_CACHE_MILLIS : DEFAULT_CACHE_MILLIS,
      now: this.#clock.now(),
      timeouts: this.#timeouts,
    });
  }
}
