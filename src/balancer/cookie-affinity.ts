import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { CookieAffinity } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { cookieValue } from './cookies.js';
import { httpDate } from './http-date.js';
import type { Picker } from './picker.js';

/**
 * ingress-nginx cookie affinity (`affinity: cookie`). The cookie value is the endpoint's affinity token, a keyed
 * hash of its name (`EndpointStateRegistry.affinityToken`): it identifies the endpoint in every process and
 * replica that shares the key, and reveals nothing about its address.
 *
 * A request whose cookie names an available endpoint goes there. Otherwise (no cookie, an unknown token, the
 * endpoint gone or unavailable) the backend's policy picks, and `setCookie` re-pins the client. With
 * `changeOnFailure`, a retry after the pinned endpoint failed goes elsewhere and re-pins; without it, retries stay
 * on the pinned endpoint (ingress-nginx's default).
 */
export class CookieAffinityPicker implements Picker {
  readonly #config: CookieAffinity;
  readonly #inner: Picker;
  readonly #candidates: CandidateSet;
  readonly #registry: EndpointStateRegistry;
  readonly #byToken: ReadonlyMap<string, RuntimeEndpoint>;
  /** `; Path=…; Max-Age=…` and the rest that do not change per response, built once. */
  readonly #attributes: string;

  constructor(
    config: CookieAffinity,
    inner: Picker,
    candidates: CandidateSet,
    registry: EndpointStateRegistry,
  ) {
    this.#config = config;
    this.#inner = inner;
    this.#candidates = candidates;
    this.#registry = registry;
    this.#byToken = new Map(
      candidates.eligible.map((endpoint) => [registry.affinityToken(endpoint.state), endpoint] as const),
    );
    let attributes = `; Path=${config.path}`;
    if (config.maxAgeSeconds !== null) attributes += `; Max-Age=${config.maxAgeSeconds}`;
    this.#attributes = attributes;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const token = cookieValue(request.headers.cookie, this.#config.name);
    if (token !== null) {
      const pinned = this.#byToken.get(token);
      if (
        pinned !== undefined &&
        this.#candidates.accepts(pinned) &&
        (avoid === null || !this.#config.changeOnFailure || !avoid.has(pinned.name))
      ) {
        return pinned;
      }
    }
    return this.#inner.pick(request, avoid);
  }

  /** The `Set-Cookie` value pinning the client to `endpoint`, or null when its cookie already does. */
  setCookie(request: PickRequest, endpoint: RuntimeEndpoint): string | null {
    const token = this.#registry.affinityToken(endpoint.state);
    if (cookieValue(request.headers.cookie, this.#config.name) === token) return null;
    const config = this.#config;
    let cookie = `${config.name}=${token}${this.#attributes}`;
    if (config.expiresSeconds !== null)
      cookie += `; Expires=${httpDate(this.#registry.now() + config.expiresSeconds * 1000)}`;
    if (config.secure) cookie += '; Secure';
    if (config.sameSite !== null) cookie += `; SameSite=${config.sameSite}`;
    // ingress-nginx marks the cookie HttpOnly: scripts have no business with it.
    return `${cookie}; HttpOnly`;
  }
}
