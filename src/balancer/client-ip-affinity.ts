import type { AffinityPin, BackendState } from '../endpoints/endpoint-state-registry.js';
import type { PickRequest, RuntimeEndpoint } from '../runtime/table.js';
import type { CandidateSet } from './candidates.js';
import { stableHash } from './hash-key.js';
import type { Picker } from './picker.js';
import { HashRing } from './ring-hash.js';

/** Pins kept per backend at most; the least recently seen client is forgotten first. */
const MAX_PINS = 100_000;

/**
 * Service `sessionAffinity: ClientIP`. kube-proxy picks a client's first endpoint at random and remembers it per
 * node (iptables `recent`, IPVS persistence) until the client has been idle for the timeout. A gateway with several
 * worker processes or replicas has no shared memory, so the first choice here is a consistent hash of the client
 * address over the eligible endpoints: every process and replica makes the same choice without coordination.
 * A per-process pin table then keeps the client where it is when the endpoint set changes (a scale-up would move
 * ~1/N of the hashes) until the idle timeout, as kube-proxy does. Trade-off: during such a change two processes
 * may disagree for clients that reach only one of them before the change; and the policy's own choice (e.g.
 * least_request) is not used for the first request.
 *
 * A pin on an endpoint that is gone or unavailable is replaced (the client moves, as with kube-proxy when the
 * pod goes away); an endpoint this request already tried (`avoid`) is skipped without re-pinning.
 */
export class ClientIpAffinityPicker implements Picker {
  readonly #candidates: CandidateSet;
  readonly #ring: HashRing;
  readonly #byName: ReadonlyMap<string, RuntimeEndpoint>;
  readonly #pins: Map<string, AffinityPin>;
  readonly #timeoutMs: number;
  readonly #monotonic: () => number;

  constructor(
    candidates: CandidateSet,
    state: BackendState,
    timeoutSeconds: number,
    monotonic: () => number,
  ) {
    this.#candidates = candidates;
    this.#ring = HashRing.for(state, candidates.eligible);
    this.#byName = new Map(candidates.eligible.map((endpoint) => [endpoint.name, endpoint] as const));
    this.#pins = state.pins;
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#monotonic = monotonic;
  }

  pick(request: PickRequest, avoid: ReadonlySet<string> | null): RuntimeEndpoint | null {
    const client = request.clientAddress;
    const now = this.#monotonic();
    const pins = this.#pins;
    const pin = pins.get(client);
    if (pin !== undefined && now - pin.seenAtMs <= this.#timeoutMs) {
      const pinned = this.#byName.get(pin.endpoint);
      if (pinned !== undefined && this.#candidates.accepts(pinned)) {
        if (avoid?.has(pinned.name)) {
          return this.#ring.lookup(stableHash(client), this.#candidates, avoid);
        }
        this.#touch(client, pin, now);
        return pinned;
      }
    }
    const chosen = this.#ring.lookup(stableHash(client), this.#candidates, avoid);
    if (chosen === null) return null;
    if (pin === undefined) {
      pins.set(client, { endpoint: chosen.name, seenAtMs: now });
      this.#evict(now);
    } else {
      pin.endpoint = chosen.name;
      this.#touch(client, pin, now);
    }
    return chosen;
  }

  /** Moves the pin to the young end of the map (insertion order is the LRU order). */
  #touch(client: string, pin: AffinityPin, now: number): void {
    pin.seenAtMs = now;
    this.#pins.delete(client);
    this.#pins.set(client, pin);
  }

  /** Drops expired pins from the old end (amortised: a few per new client) and the oldest beyond the bound. */
  #evict(now: number): void {
    const pins = this.#pins;
    let checked = 0;
    for (const [client, pin] of pins) {
      if (checked++ >= 4 || (pins.size <= MAX_PINS && now - pin.seenAtMs <= this.#timeoutMs)) break;
      pins.delete(client);
    }
  }
}
