import type { Runner } from '../../core/lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { type KubeApi, KubeApiError } from './kube-api.js';

export interface LeaderElectionOptions {
  readonly api: KubeApi;
  /** Namespace and name of the `coordination.k8s.io/v1` Lease all replicas compete for. */
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (holderIdentity); unique per process. */
  readonly identity: string;
  /** How long a lease is valid after its last renewal; others take over after it. client-go default 15 s. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps retrying a renewal before it gives up leadership. client-go default 10 s. */
  readonly renewDeadlineMs: number;
  /** Pause between two attempts to acquire or renew. client-go default 2 s. */
  readonly retryPeriodMs: number;
  readonly logger: Logger;
}

/** The Lease fields leader election uses (`coordination.k8s.io/v1` LeaseSpec). */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** client-go's JitterFactor for acquisition retries, so replicas do not hit the API server in lockstep. */
const JITTER = 1.2;

/**
 * Leader election on a Lease, following client-go's `leaderelection` package: a candidate takes the lease when it
 * is free or its holder has not renewed for `leaseDuration` — measured on the candidate's own clock from when it
 * last saw the record change, never by comparing timestamps written by another machine — and every update is a
 * PUT carrying the resourceVersion it read, so two candidates racing for it get one success and one 409 Conflict.
 * The leader renews every `retryPeriod`; when no renewal succeeded for `renewDeadline` it steps down. On close
 * it releases the lease (holderIdentity cleared), so a successor takes over without waiting for expiry.
 */
export class LeaderElector implements Runner {
  readonly name = 'leader-election';
  readonly #options: LeaderElectionOptions;
  readonly #listeners = new Set<(leader: boolean) => void>();
  #leader = false;
  #observed = '';
  #observedAt = 0;
  #lastRenewAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #loop: Promise<void> | null = null;
  #stop: (() => void) | null = null;
  #lease: Lease | null = null;

  constructor(options: LeaderElectionOptions) {
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options;
    // The same checks client-go's NewLeaderElector makes; anything else lets two leaders overlap.
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > JITTER * retryPeriodMs && retryPeriodMs > 0))
      throw new RangeError(
        'leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod > 0 (client-go defaults: 15s, 10s, 2s)',
      );
    this.#options = options;
  }

  /** True while this replica holds the lease. */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Called with true on becoming leader and false on losing or releasing the lease. */
  onChange(listener: (leader: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(signal: AbortSignal): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.#stop = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#loop = this.#run(stopped);
  }

  async close(): Promise<void> {
    this.#stop?.();
    if (this.#timer) clearTimeout(this.#timer);
    await this.#loop;
    this.#loop = null;
  }

  async #run(stopped: Promise<void>): Promise<void> {
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    const { retryPeriodMs, renewDeadlineMs, logger, identity, namespace, name } = this.#options;
    logger.info({ lease: `${namespace}/${name}`, identity }, 'leader election: candidate');
    while (!done) {
      const renewed = await this.#tryAcquireOrRenew().catch((error: unknown) => {
        logger.warn(
          { err: describe(error), lease: `${namespace}/${name}` },
          'leader election: lease request failed',
        );
        return false;
      });
      const now = performance.now();
      if (renewed) this.#lastRenewAt = now;
      if (renewed !== this.#leader) {
        if (renewed) this.#setLeader(true);
        else if (now - this.#lastRenewAt >= renewDeadlineMs) this.#setLeader(false);
      }
      if (done) break;
      // Leaders renew on the plain period; candidates add jitter (client-go's wait.JitterUntil).
      const wait = this.#leader ? retryPeriodMs : retryPeriodMs * (1 + Math.random() * (JITTER - 1));
      await Promise.race([
        stopped,
        new Promise<void>((resolve) => (this.#timer = setTimeout(resolve, wait))),
      ]);
      this.#timer = null;
    }
    if (this.#leader) await this.#release();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, leaseDurationMs } = this.#options;
    const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
    const now = microTime();
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.round(leaseDurationMs / 1000)),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await api.request<Lease>('GET', path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
      this.#lease = await api.request<Lease>(
        'POST',
        `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
        {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
        },
      );
      this.#observe(this.#lease);
      return true;
    }
    this.#observe(lease);
    const current = lease.spec ?? {};
    const holder = current.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    if (heldByOther && performance.now() - this.#observedAt < leaseDurationMs) return false;
    if (holder === identity) {
      spec.acquireTime = current.acquireTime ?? now;
      spec.leaseTransitions = current.leaseTransitions ?? 0;
    } else spec.leaseTransitions = (current.leaseTransitions ?? 0) + 1;
    try {
      this.#lease = await api.request<Lease>('PUT', path, { body: { ...lease, spec } });
    } catch (error) {
      // Someone else updated the lease between our GET and PUT: they won this round.
      if (error instanceof KubeApiError && error.statusCode === 409) return false;
      throw error;
    }
    this.#observe(this.#lease);
    return true;
  }

  /** Remembers when the lease record last changed, by the local monotonic clock (client-go's observedTime). */
  #observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (record === this.#observed) return;
    this.#observed = record;
    this.#observedAt = performance.now();
  }

  /** client-go's ReleaseOnCancel: clear the holder and shorten the lease so a candidate takes over at once. */
  async #release(): Promise<void> {
    const { api, namespace, name, logger } = this.#options;
    const lease = this.#lease;
    this.#setLeader(false);
    if (!lease) return;
    const now = microTime();
    try {
      await api.request('PUT', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`, {
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: now,
            acquireTime: now,
          },
        },
      });
      logger.info({ lease: `${namespace}/${name}` }, 'leader election: lease released');
    } catch (error) {
      logger.warn(
        { err: describe(error) },
        'leader election: releasing the lease failed; it expires on its own',
      );
    }
  }

  #setLeader(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    const { logger, identity, namespace, name } = this.#options;
    logger.info(
      { lease: `${namespace}/${name}`, identity },
      leader ? 'leader election: became leader' : 'leader election: stopped leading',
    );
    for (const listener of this.#listeners) listener(leader);
  }
}

/** `metav1.MicroTime` as the API server writes it: RFC 3339 with microseconds. */
function microTime(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
