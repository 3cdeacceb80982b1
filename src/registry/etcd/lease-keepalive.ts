import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Pending {
  readonly resolve: (alive: boolean) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Refreshes etcd leases by ID over one long-lived `LeaseKeepAlive` stream. etcd leases are cluster objects, not
 * bound to the connection that granted them: any client may keep any lease alive by its ID (etcd API,
 * `Lease.LeaseKeepAlive`). That is what lets a heartbeat land on any replica: the lease IDs travel with the watched
 * keys (`kv.lease`), so every replica can refresh the lease of every instance. etcd answers the requests of one
 * stream in order, so replies are matched to callers first-in first-out per lease ID.
 */
export class LeaseKeepAlive {
  readonly #client: Etcd3;
  #stream: Promise<KeepAliveStream> | null = null;
  readonly #pending = new Map<string, Pending[]>();

  constructor(client: Etcd3) {
    this.#client = client;
  }

  /** Sends one keepalive for `leaseId`; true when the lease is alive (its TTL restarted), false when it is gone. */
  async refresh(leaseId: string): Promise<boolean> {
    const stream = await this.#open();
    return new Promise<boolean>((resolve, reject) => {
      const queue = this.#pending.get(leaseId);
      if (queue === undefined) this.#pending.set(leaseId, [{ resolve, reject }]);
      else queue.push({ resolve, reject });
      stream.write({ ID: leaseId });
    });
  }

  /** Ends the stream and fails whatever is still waiting. */
  close(): void {
    const stream = this.#stream;
    this.#stream = null;
    void stream?.then((s) => s.end()).catch(() => undefined);
    this.#failAll(new Error('lease keepalive stream closed'));
  }

  #open(): Promise<KeepAliveStream> {
    if (this.#stream !== null) return this.#stream;
    const opening = this.#client.leaseClient.leaseKeepAlive().then((stream) => {
      stream.on('data', (response: ILeaseKeepAliveResponse) => {
        const queue = this.#pending.get(response.ID);
        const next = queue?.shift();
        if (queue !== undefined && queue.length === 0) this.#pending.delete(response.ID);
        // etcd answers TTL <= 0 for a lease that expired or was revoked.
        next?.resolve(Number(response.TTL) > 0);
      });
      const broken = (error: Error): void => {
        if (this.#stream === opening) this.#stream = null;
        this.#failAll(error);
      };
      stream.on('error', broken);
      stream.on('end', () => broken(new Error('lease keepalive stream ended')));
      return stream;
    });
    // A failed open is not cached: the next refresh tries again (etcd may be restarting).
    opening.catch(() => {
      if (this.#stream === opening) this.#stream = null;
    });
    this.#stream = opening;
    return opening;
  }

  #failAll(error: Error): void {
    for (const queue of this.#pending.values()) for (const pending of queue) pending.reject(error);
    this.#pending.clear();
  }
}
