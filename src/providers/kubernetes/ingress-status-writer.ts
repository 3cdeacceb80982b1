import { isIP } from 'node:net';
import type { Runner } from '../../core/lifecycle.js';
import type { ObjectRef } from '../../objects/envelope.js';
import type { Logger } from '../../observability/logger.js';
import { type KubeApi, KubeApiError } from './kube-api.js';
import type { RawKubeObject } from './kube-object-set.js';

/** One `status.loadBalancer.ingress[]` entry (networking.k8s.io/v1 IngressLoadBalancerIngress). */
export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
}

export interface IngressStatusWriterOptions {
  readonly api: KubeApi;
  /** Cached objects of the provider's informers (Ingress for its current status, Service for `publishService`). */
  readonly lookup: (kind: string, namespace: string, name: string) => RawKubeObject | undefined;
  /** Whether this replica may write (the leader); writes happen only while it returns true. */
  readonly isLeader: () => boolean;
  /** Fixed addresses to publish: IPs become `ip`, anything else `hostname`. */
  readonly addresses: readonly string[];
  /** A Service (`namespace/name`) whose `status.loadBalancer.ingress` and `spec.externalIPs` are published. */
  readonly publishService: { readonly namespace: string; readonly name: string } | undefined;
  /** Periodic resync, so status edited by someone else or a moved load balancer is put right (ingress-nginx: 60 s). */
  readonly resyncMs: number;
  readonly logger: Logger;
}

/**
 * Writes `status.loadBalancer.ingress` of the Ingresses this controller serves, through the `status`
 * subresource with a JSON merge patch, only while this replica is the leader (every replica serves traffic;
 * one writes, so replicas never fight over the field). An Ingress that stops being served has our addresses
 * removed again. Writes are serialised and coalesced: a change during a pass asks for one more pass.
 */
export class IngressStatusWriter implements Runner {
  readonly name = 'ingress-status';
  readonly #options: IngressStatusWriterOptions;
  #served: readonly ObjectRef[] = [];
  #released: ObjectRef[] = [];
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #reported = new Set<string>();

  constructor(options: IngressStatusWriterOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => this.sync(), this.#options.resyncMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** The Ingresses the live table serves now (from the kubernetes provider or not: unknown ones are skipped). */
  update(served: readonly ObjectRef[]): void {
    const now = new Set(served.map(refKey));
    for (const ref of this.#served) if (!now.has(refKey(ref))) this.#released.push(ref);
    this.#served = served;
    this.sync();
  }

  /** Runs a pass (or asks the running one for another). Does nothing unless this replica leads. */
  sync(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const passes = async (): Promise<void> => {
      do {
        this.#again = false;
        if (this.#options.isLeader()) await this.#pass();
      } while (this.#again && !this.#closed);
    };
    // Cleared in `finally`, which always runs after this assignment, even when no pass had to await anything.
    this.#running = passes().finally(() => {
      this.#running = null;
    });
  }

  async #pass(): Promise<void> {
    const desired = this.#desired();
    if (desired.length === 0) {
      this.#reportOnce(
        'no-address',
        'info',
        'ingress status: no address to publish (set providers.kubernetes.status)',
      );
      return;
    }
    const released = this.#released.splice(0);
    for (const ref of released) {
      const current = this.#currentOf(ref);
      // Only clear what we wrote: another controller may already have taken the Ingress over.
      if (current && sameAddresses(current, desired)) await this.#write(ref, []);
    }
    for (const ref of this.#served) {
      if (!this.#options.isLeader() || this.#closed) return;
      const current = this.#currentOf(ref);
      if (current === undefined || sameAddresses(current, desired)) continue;
      await this.#write(ref, desired);
    }
  }

  /** The Ingress' current `status.loadBalancer.ingress`; undefined when the provider does not know the Ingress. */
  #currentOf(ref: ObjectRef): LoadBalancerIngress[] | undefined {
    const ingress = this.#options.lookup('Ingress', ref.namespace, ref.name);
    if (!ingress) return undefined;
    const status = ingress.status as { loadBalancer?: { ingress?: unknown } } | undefined;
    return toEntries(status?.loadBalancer?.ingress);
  }

  #desired(): LoadBalancerIngress[] {
    const out: LoadBalancerIngress[] = this.#options.addresses.map((address) =>
      isIP(address) ? { ip: address } : { hostname: address },
    );
    const publish = this.#options.publishService;
    if (publish) {
      const service = this.#options.lookup('Service', publish.namespace, publish.name);
      const status = service?.status as { loadBalancer?: { ingress?: unknown } } | undefined;
      out.push(...toEntries(status?.loadBalancer?.ingress));
      const externalIPs = (service?.spec as { externalIPs?: unknown } | undefined)?.externalIPs;
      if (Array.isArray(externalIPs))
        for (const ip of externalIPs) if (typeof ip === 'string') out.push({ ip });
    }
    return out;
  }

  async #write(ref: ObjectRef, entries: readonly LoadBalancerIngress[]): Promise<void> {
    const { api, logger } = this.#options;
    const path = `/apis/networking.k8s.io/v1/namespaces/${ref.namespace}/ingresses/${ref.name}/status`;
    try {
      await api.request('PATCH', path, {
        body: { status: { loadBalancer: { ingress: entries } } },
        contentType: 'application/merge-patch+json',
      });
      logger.info({ ingress: `${ref.namespace}/${ref.name}`, addresses: entries }, 'ingress status written');
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return;
      const forbidden = error instanceof KubeApiError && error.statusCode === 403;
      this.#reportOnce(
        `${ref.namespace}/${ref.name}:${(error as Error).message}`,
        'error',
        forbidden
          ? `ingress status: writing ${ref.namespace}/${ref.name} is forbidden (403): ${(error as Error).message}; grant update/patch on ingresses/status (see deploy/rbac.yaml)`
          : `ingress status: writing ${ref.namespace}/${ref.name} failed: ${(error as Error).message}`,
      );
    }
  }

  /** Logs a problem once until it changes, so a resync loop against the same denial does not flood the log. */
  #reportOnce(key: string, level: 'info' | 'error', message: string): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#options.logger[level](message);
  }
}

function toEntries(value: unknown): LoadBalancerIngress[] {
  if (!Array.isArray(value)) return [];
  const out: LoadBalancerIngress[] = [];
  for (const item of value as { ip?: unknown; hostname?: unknown }[]) {
    if (typeof item?.ip === 'string') out.push({ ip: item.ip });
    else if (typeof item?.hostname === 'string') out.push({ hostname: item.hostname });
  }
  return out;
}

function sameAddresses(a: readonly LoadBalancerIngress[], b: readonly LoadBalancerIngress[]): boolean {
  const key = (list: readonly LoadBalancerIngress[]): string =>
    list
      .map((e) => `${e.ip ?? ''}|${e.hostname ?? ''}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

function refKey(ref: ObjectRef): string {
  return `${ref.namespace}/${ref.name}`;
}
