import type { BackendState, EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { CookieAffinity } from '../ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { cookieValue } from './cookies.js';
import { httpDate } from './http-date.js';
import type { Picker } from './picker.js';
import { HashRing } from './ring-hash.js';

/** A balanced-mode session key: a ring position, 8 lower-case hex digits. */
const SESSION_KEY = /^[0-9a-f]{8}$/;

/**
 * ingress-nginx cookie affinity (`affinity: cookie`), in its two `affinity-mode`s:
 * - `persistent`: the cookie value is the endpoint's affinity token, a keyed hash of its name
 *   (`EndpointStateRegistry.affinityToken`). It names the endpoint in every process and replica that shares the
 *   key, reveals nothing about its address, and a session stays on its endpoint for as long as it exists, even
 *   when scaling adds endpoints (ingress-nginx `sticky_persistent`).
 * - `balanced` (ingress-nginx's default, `sticky_balanced`): the cookie value is a session key that consistent
 *   hashing maps onto the endpoints (the backend's ring, shared with `ring_hash` and cached per endpoint set).
 *   When the endpoint set changes, about the share of sessions the new endpoints should carry move to them and
 *   the rest stay, so a scale-up takes load at once, at the cost of those sessions. ingress-nginx draws a random
 *   key and lets the hash choose the endpoint; here the key is a random position within the arcs of the endpoint
 *   the policy chose, so the policy still places new sessions and the hash only decides who moves on a change.
 *   The key is a ring position: mapping it to an endpoint requires knowing the endpoint names.
 *
 * A request whose cookie leads to an available endpoint goes there. Otherwise (no cookie, an unknown value, the
 * endpoint gone or unavailable) the backend's policy picks, and `setCookie` re-pins the client. With
 * `changeOnFailure`, a retry after the pinned endpoint failed goes elsewhere and re-pins; without it, retries stay
 * on the pinned endpoint (ingress-nginx's default).
 */
export class CookieAffinityPicker implements Picker {
  readonly #config: CookieAffinity;
  readonly #inner: Picker;
  readonly #candidates: CandidateSet;
  readonly #registry: EndpointStateRegistry;
  /** `persistent`: endpoints by affinity token. */
  readonly #byToken: ReadonlyMap<string, RuntimeEndpoint>;
  /** `balanced`: the ring over the eligible endpoints, and their indices in it by name. */
  readonly #ring: HashRing | null;
  readonly #indexByName: ReadonlyMap<string, number>;
  /** `; Path=…; Max-Age=…` and the rest that do not change per response, built once. */
  readonly #attributes: string;

  constructor(
    config: CookieAffinity,
    inner: Picker,
    candidates: CandidateSet,
    registry: EndpointStateRegistry,
    state: BackendState,
  ) {
    this.#config = config;
    this.#inner = inner;
    this.#candidates = candidates;
    this.#registry = registry;
    const eligible = candidates.eligible;
    const balanced = config.mode === 'balanced';
    this.#ring = balanced ? HashRing.for(state, eligible) : null;
    this.#indexByName = new Map(balanced ? eligible.map((endpoint, i) => [endpoint.name, i] as const) : []);
    this.#byToken = new Map(
      balanced ? [] : eligible.map((endpoint) => [registry.affinityToken(endpoint.state), endpoint] as const),
    );
    let attributes = `; Path=${config.path}`;
    if (config.maxAgeSeconds !== null) attributes += `; Max-Age=${config.maxAgeSeconds}`;
    this.#attributes = attributes;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const value = cookieValue(request.headers.cookie, this.#config.name);
    if (value !== null) {
      const pinned = this.#pinned(value);
      if (
        pinned !== null &&
        this.#candidates.accepts(pinned) &&
        (avoid === null || !this.#config.changeOnFailure || !avoid.has(pinned.name))
      ) {
        return pinned;
      }
    }
    return this.#inner.pick(request, avoid);
  }

  /** The `Set-Cookie` value pinning the client to `endpoint`, or null when its cookie already leads there. */
  setCookie(request: PickRequest, endpoint: RuntimeEndpoint): string | null {
    const current = cookieValue(request.headers.cookie, this.#config.name);
    if (current !== null && this.#pinned(current)?.name === endpoint.name) return null;
    const config = this.#config;
    let cookie = `${config.name}=${this.#valueFor(endpoint)}${this.#attributes}`;
    if (config.expiresSeconds !== null)
      cookie += `; Expires=${httpDate(this.#registry.now() + config.expiresSeconds * 1000)}`;
    if (config.secure) cookie += '; Secure';
    if (config.sameSite !== null) cookie += `; SameSite=${config.sameSite}`;
    // ingress-nginx marks the cookie HttpOnly: scripts have no business with it.
    return `${cookie}; HttpOnly`;
  }

  /** The endpoint a cookie value leads to (available or not), or null for a value this mode does not know. */
  #pinned(value: string): RuntimeEndpoint | null {
    const ring = this.#ring;
    if (ring === null) return this.#byToken.get(value) ?? null;
    if (!SESSION_KEY.test(value)) return null;
    return ring.ownerOf(Number.parseInt(value, 16));
  }

  #valueFor(endpoint: RuntimeEndpoint): string {
    const ring = this.#ring;
    const index = this.#indexByName.get(endpoint.name);
    if (ring === null || index === undefined) return this.#registry.affinityToken(endpoint.state);
    return ring.ring.positionOf(index, this.#registry.random).toString(16).padStart(8, '0');
  }
}
