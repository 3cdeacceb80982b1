import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { Affinity, LoadBalancerPolicy } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import { CandidateSet } from './candidates.js';
import { ClientIpAffinityPicker } from './client-ip-affinity.js';
import { CookieAffinityPicker } from './cookie-affinity.js';
import { createPicker, type Picker } from './picker.js';

export interface BackendBalancerOptions {
  /** Backend name, the key of its long-lived state. */
  readonly backend: string;
  /** Every endpoint of the backend, including those that are not ready. */
  readonly endpoints: readonly RuntimeEndpoint[];
  readonly policy: LoadBalancerPolicy;
  readonly affinity: Affinity | null;
  /** Envoy's healthy panic threshold in percent (0 disables panic mode). */
  readonly panicThresholdPercent: number;
  readonly registry: EndpointStateRegistry;
}

/**
 * A backend's endpoint selection: the policy's picker over the live candidates, behind the affinity layer when the
 * backend has one. Built once per backend at compile time.
 */
export class BackendBalancer {
  readonly #picker: Picker;
  readonly #cookie: CookieAffinityPicker | null;

  constructor(options: BackendBalancerOptions) {
    const backend = options.registry.backend(options.backend);
    const candidates = new CandidateSet(options.endpoints, backend, options.panicThresholdPercent);
    const policy = createPicker(options.policy, { backend, candidates, registry: options.registry });
    const affinity = options.affinity;
    this.#cookie = null;
    if (affinity === null) {
      this.#picker = policy;
    } else if (affinity.type === 'client-ip') {
      this.#picker = new ClientIpAffinityPicker(
        candidates,
        backend,
        affinity.timeoutSeconds,
        options.registry.monotonic,
      );
    } else {
      this.#cookie = new CookieAffinityPicker(affinity, policy, candidates, options.registry, backend);
      this.#picker = this.#cookie;
    }
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    return this.#picker.pick(request, avoid);
  }

  affinityCookie(request: PickRequest, endpoint: RuntimeEndpoint): string | null {
    return this.#cookie === null ? null : this.#cookie.setCookie(request, endpoint);
  }
}
