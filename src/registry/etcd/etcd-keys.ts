import type { InstanceAddress, ServiceRef } from '../model.js';

/**
 * The etcd key layout of the registry, under a configurable prefix (default `/tidegate/registry`):
 * - `<prefix>/<ns>/<group>/<service>` — the service's attributes (JSON);
 * - `<prefix>/<ns>/<group>/<service>/<cluster>/<ip>#<port>` — one instance (JSON), attached to the instance's
 *   delete lease when ephemeral;
 * - `<prefix>/<ns>/<group>/<service>/<cluster>/<ip>#<port>/alive` — present while an ephemeral instance is
 *   healthy, attached to its (shorter) heartbeat lease.
 * Every segment is percent-encoded, so a `/` inside a name cannot shift the layout, and the kind of a key is its
 * number of segments. One prefix watch sees all three kinds.
 */
export type ParsedKey =
  | { readonly kind: 'service'; readonly ref: ServiceRef }
  | { readonly kind: 'instance' | 'alive'; readonly ref: ServiceRef; readonly address: InstanceAddress };

const ALIVE = 'alive';

export class EtcdKeys {
  /** The prefix without a trailing `/`. */
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  }

  /** What the store watches: everything below the prefix. */
  get watchPrefix(): string {
    return `${this.prefix}/`;
  }

  service(ref: ServiceRef): string {
    return `${this.prefix}/${enc(ref.namespace)}/${enc(ref.group)}/${enc(ref.service)}`;
  }

  instance(ref: ServiceRef, address: InstanceAddress): string {
    return `${this.service(ref)}/${enc(address.clusterName)}/${enc(`${address.ip}#${address.port}`)}`;
  }

  alive(ref: ServiceRef, address: InstanceAddress): string {
    return `${this.instance(ref, address)}/${ALIVE}`;
  }

  /** The kind and identity of a key under the prefix; null for keys that are not the registry's. */
  parse(key: string): ParsedKey | null {
    if (!key.startsWith(this.watchPrefix)) return null;
    let parts: string[];
    try {
      parts = key.slice(this.watchPrefix.length).split('/').map(decodeURIComponent);
    } catch {
      return null;
    }
    const [namespace, group, service, clusterName, ipPort, marker] = parts;
    if (namespace === undefined || group === undefined || service === undefined) return null;
    const ref = { namespace, group, service };
    if (parts.length === 3) return { kind: 'service', ref };
    if (clusterName === undefined || ipPort === undefined) return null;
    const hash = ipPort.lastIndexOf('#');
    const port = Number(ipPort.slice(hash + 1));
    if (hash <= 0 || !Number.isInteger(port)) return null;
    const address = { ip: ipPort.slice(0, hash), port, clusterName };
    if (parts.length === 5) return { kind: 'instance', ref, address };
    if (parts.length === 6 && marker === ALIVE) return { kind: 'alive', ref, address };
    return null;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
