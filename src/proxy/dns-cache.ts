import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../core/clock.js';

/** Options of a `DnsCache`; every field has a default. */
export interface DnsCacheOptions {
  /** How long an answer is used, ms. `dns.lookup` reports no TTL, so one fixed value (default 30 s). */
  readonly ttlMs?: number;
  /** How long a failure is remembered, ms (default 5 s), so a dead name does not cost a lookup per request. */
  readonly errorTtlMs?: number;
  /** The resolver (default: `dns.promises.lookup`, which honours /etc/hosts and the system's search domains). */
  readonly lookup?: (name: string) => Promise<string>;
  readonly clock?: Clock;
}

interface Entry {
  readonly address: string | null;
  readonly error: unknown;
  readonly expiresAt: number;
}

/**
 * Resolves the DNS names of ExternalName (and FQDN) endpoints for the data plane, with a TTL cache and one
 * lookup in flight per name, so a burst of new upstream connections triggers a single query.
 */
export class DnsCache {
  readonly #ttlMs: number;
  readonly #errorTtlMs: number;
  readonly #lookup: (name: string) => Promise<string>;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: DnsCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#errorTtlMs = options.errorTtlMs ?? 5_000;
    this.#lookup = options.lookup ?? defaultLookup;
    this.#clock = options.clock ?? systemClock;
  }

  /** An IP address for `name`; IP literals are returned as they are. Rejects with the resolver's error. */
  resolve(name: string): Promise<string> {
    if (isIP(name) !== 0) return Promise.resolve(name);
    const entry = this.#entries.get(name);
    if (entry !== undefined && entry.expiresAt > this.#clock.monotonic()) {
      return entry.address !== null ? Promise.resolve(entry.address) : Promise.reject(entry.error);
    }
    let pending = this.#inFlight.get(name);
    if (pending === undefined) {
      pending = this.#query(name);
      this.#inFlight.set(name, pending);
    }
    return pending;
  }

  async #query(name: string): Promise<string> {
    try {
      const address = await this.#lookup(name);
      this.#entries.set(name, { address, error: null, expiresAt: this.#clock.monotonic() + this.#ttlMs });
      return address;
    } catch (error) {
      this.#entries.set(name, {
        address: null,
        error,
        expiresAt: this.#clock.monotonic() + this.#errorTtlMs,
      });
      throw error;
    } finally {
      this.#inFlight.delete(name);
    }
  }
}

async function defaultLookup(name: string): Promise<string> {
  return (await dns.lookup(name)).address;
}
