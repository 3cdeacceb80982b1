/**
 * Hostname lookup with Kubernetes Ingress semantics: the exact name, then a wildcard `*.<suffix>` that matches
 * exactly one extra label (the Ingress spec: `*.foo.com` matches `bar.foo.com`, not `baz.bar.foo.com` nor
 * `foo.com`), then the catch-all `*`.
 *
 * Hostnames are compared as given: callers pass lower-case names without a port (the proxy normalises the Host
 * header; IR hostnames are lower-case).
 */
export class HostTable<T> {
  readonly #exact = new Map<string, T>();
  /** Keyed by the suffix after `*.`, e.g. `example.com` for `*.example.com`. */
  readonly #wildcard = new Map<string, T>();
  #catchAll: T | null = null;
  #hasCatchAll = false;

  /** When a hostname appears more than once, the first entry wins. */
  constructor(entries: Iterable<readonly [hostname: string, value: T]>) {
    for (const [hostname, value] of entries) {
      if (hostname === '*') {
        if (!this.#hasCatchAll) {
          this.#catchAll = value;
          this.#hasCatchAll = true;
        }
      } else if (hostname.startsWith('*.')) {
        const suffix = hostname.slice(2);
        if (!this.#wildcard.has(suffix)) this.#wildcard.set(suffix, value);
      } else if (!this.#exact.has(hostname)) {
        this.#exact.set(hostname, value);
      }
    }
  }

  /**
   * O(1) map lookups; allocates one substring (the suffix after the first label) only when the exact lookup
   * misses and the table has wildcards.
   */
  lookup(host: string): T | null {
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    if (this.#wildcard.size > 0) {
      const dot = host.indexOf('.');
      // dot > 0: the wildcard stands for one non-empty label.
      if (dot > 0) {
        const wildcard = this.#wildcard.get(host.slice(dot + 1));
        if (wildcard !== undefined) return wildcard;
      }
    }
    return this.#catchAll;
  }
}
