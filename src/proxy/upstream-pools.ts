import { isIP } from 'node:net';
import { buildConnector, Pool } from 'undici';
import type { RuntimeEndpoint } from '../runtime/table.js';
import type { DnsCache } from './dns-cache.js';

/** Options of `UpstreamPools`; every field has a default. */
export interface UpstreamPoolsOptions {
  /**
   * Idle keep-alive connections are closed after this long, ms (default 4 s, undici's). Upstreams that announce
   * `Keep-Alive: timeout=N` shorten it, so we never reuse a connection the upstream is about to close.
   */
  readonly keepAliveTimeoutMs?: number;
}

/** The pools of one endpoint: one per scheme, TLS server name and connect timeout, the settings a socket fixes. */
class EndpointPools {
  readonly http = new Map<number, Pool>();
  readonly https = new Map<string, Map<number, Pool>>();

  all(): Pool[] {
    const out = [...this.http.values()];
    for (const byTimeout of this.https.values()) out.push(...byTimeout.values());
    return out;
  }
}

/**
 * Keep-alive connection pools to upstream endpoints (undici `Pool`, HTTP/1.1, pipelining 1), keyed by endpoint
 * name — stable across table swaps, so a reload keeps warm connections — and by what a connection cannot change:
 * the scheme, the TLS server name and the connect timeout. Lookups allocate nothing once a pool exists.
 */
export class UpstreamPools {
  readonly #keepAliveTimeoutMs: number;
  readonly #endpoints = new Map<string, EndpointPools>();

  constructor(options: UpstreamPoolsOptions = {}) {
    this.#keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 4_000;
  }

  /**
   * The pool for `endpoint`. `serverName` is the TLS SNI for `https` (the request host; ignored for `http`);
   * `dns` resolves endpoint addresses that are DNS names (ExternalName) at connect time, or null for IPs.
   */
  get(
    endpoint: RuntimeEndpoint,
    protocol: 'http' | 'https',
    serverName: string,
    connectMs: number,
    dns: DnsCache | null,
  ): Pool {
    let pools = this.#endpoints.get(endpoint.name);
    if (pools === undefined) {
      pools = new EndpointPools();
      this.#endpoints.set(endpoint.name, pools);
    }
    let byTimeout: Map<number, Pool> | undefined;
    if (protocol === 'http') {
      byTimeout = pools.http;
    } else {
      byTimeout = pools.https.get(serverName);
      if (byTimeout === undefined) {
        byTimeout = new Map();
        pools.https.set(serverName, byTimeout);
      }
    }
    let pool = byTimeout.get(connectMs);
    if (pool === undefined) {
      pool = this.#create(endpoint, protocol === 'https' ? serverName : null, connectMs, dns);
      byTimeout.set(connectMs, pool);
    }
    return pool;
  }

  /** Closes (gracefully: queued requests finish) the pools of endpoints not in `liveEndpointNames`. */
  retain(liveEndpointNames: ReadonlySet<string>): void {
    for (const [name, pools] of this.#endpoints) {
      if (liveEndpointNames.has(name)) continue;
      this.#endpoints.delete(name);
      for (const pool of pools.all()) pool.close().catch(() => {});
    }
  }

  /** Number of endpoints that currently have pools (for tests and views). */
  get size(): number {
    return this.#endpoints.size;
  }

  /** Closes every pool, waiting for in-flight requests to finish. */
  async close(): Promise<void> {
    const pools = [...this.#endpoints.values()].flatMap((p) => p.all());
    this.#endpoints.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => {})));
  }

  /** A pool to `endpoint`, over TLS with `tlsServerName` (the request host) unless that is null. */
  #create(
    endpoint: RuntimeEndpoint,
    tlsServerName: string | null,
    connectMs: number,
    dns: DnsCache | null,
  ): Pool {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    // ingress-nginx's `proxy_ssl_verify off` default: the upstream certificate is not verified. SNI is the
    // request host (never an IP literal: RFC 6066 §3 forbids it).
    const protocol = tlsServerName === null ? 'http' : 'https';
    const servername =
      tlsServerName !== null && tlsServerName !== '' && isIP(tlsServerName) === 0 ? tlsServerName : undefined;
    const connector = buildConnector({ timeout: connectMs, rejectUnauthorized: false, keepAlive: true });
    const resolver = dns !== null && isIP(endpoint.address) === 0 ? dns : null;
    return new Pool(`${protocol}://${host}:${endpoint.port}`, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: this.#keepAliveTimeoutMs,
      connect: (options, callback) => {
        const base = servername === undefined ? options : { ...options, servername };
        if (resolver === null) {
          connector(base, callback);
          return;
        }
        resolver.resolve(options.hostname).then(
          (address) => connector({ ...base, hostname: address }, callback),
          (error: Error) => callback(error, null),
        );
      },
    });
  }
}
