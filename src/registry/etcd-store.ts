import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { z } from 'zod';
import { ChangeListeners } from './change-listeners.js';
import { EtcdKeys } from './etcd/etcd-keys.js';
import { LeaseKeepAlive } from './etcd/lease-keepalive.js';
import { instanceTimeoutsMs } from './liveness.js';
import {
  compareInstances,
  compareServiceRefs,
  defaultService,
  type Instance,
  type InstanceAddress,
  type PageRequest,
  pageServices,
  type RegistrySnapshot,
  type Service,
  type ServiceEntry,
  type ServicePage,
  type ServiceRef,
  serviceKey,
} from './model.js';
import type { LivenessTimeouts, RegistryStore } from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `["http://127.0.0.1:2379"]`. */
  readonly endpoints: readonly string[];
  /** Key prefix shared by every replica of one registry. Default `/tidegate/registry`. */
  readonly prefix: string;
  /** Bound on connecting and on every unary call, ms. */
  readonly dialTimeoutMs: number;
  /** Liveness of ephemeral instances, enforced by etcd leases (rounded up to whole seconds). */
  readonly timeouts: LivenessTimeouts;
  /** Wall clock, for `lastBeat`-like stamps written into the values. */
  readonly now: () => number;
  /** Watch and stream problems (etcd restarting); the store keeps serving its last snapshot meanwhile. */
  readonly onError?: ((error: unknown, what: string) => void) | undefined;
}

/** Default key prefix. */
export const DEFAULT_ETCD_PREFIX = '/tidegate/registry';

/** How long a write waits for its own watch event before resolving anyway (read-your-writes bound). */
const OWN_EVENT_WAIT_MS = 5_000;

const stringMap = z.record(z.string(), z.string());
const serviceValueSchema = z.object({
  protectThreshold: z.number().min(0).max(1),
  metadata: stringMap,
});
const instanceValueSchema = z.object({
  weight: z.number().min(0),
  healthy: z.boolean(),
  enabled: z.boolean(),
  ephemeral: z.boolean(),
  metadata: stringMap,
});

interface InstanceEntry {
  readonly ref: ServiceRef;
  readonly instance: Instance;
  /** etcd lease ID of the delete lease; `'0'` for persistent instances. */
  readonly lease: string;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
}

/**
 * The registry in etcd, for several gateway replicas sharing one registry. etcd is the source of truth and its
 * Raft the only consensus; each replica keeps an in-memory copy fed by one prefix watch, so `snapshot()` and the
 * reads are synchronous and local.
 *
 * Ephemeral liveness without a sweep and without a write per heartbeat: each ephemeral instance owns two leases —
 * its key is attached to a *delete* lease (TTL = delete timeout, 30 s by default) and an `…/alive` marker key to a
 * *heartbeat* lease (TTL = heartbeat timeout, 15 s). A beat refreshes both leases by ID (no watch event, so beats
 * cost every other replica nothing). When beats stop, etcd deletes the marker first (the instance turns unhealthy
 * on every replica through the watch) and later the instance itself. A beat after the marker expired grants a new
 * heartbeat lease and puts the marker back. Lease IDs come with the watched keys, so any replica can refresh any
 * instance's leases: the replica that registered an instance may die without taking the instance with it.
 * Per-instance `preserved.*` metadata sets the TTLs of that instance's leases. etcd leases have one-second
 * granularity and etcd checks expiry every 500 ms, so etcd-backed timeouts are rounded up to whole seconds.
 *
 * Persistent instances and services are plain keys: they survive etcd restarts with etcd's own durability.
 */
export class EtcdStore implements RegistryStore {
  readonly name = 'registry-store-etcd';
  readonly #options: EtcdStoreOptions;
  readonly #keys: EtcdKeys;
  #client: Etcd3 | null = null;
  #keepAlive: LeaseKeepAlive | null = null;
  #watcher: Watcher | null = null;
  readonly #services = new Map<string, Service>();
  readonly #instances = new Map<string, InstanceEntry>();
  /** Instance key → heartbeat lease of its `alive` marker. */
  readonly #alive = new Map<string, string>();
  readonly #listeners = new ChangeListeners();
  #waiters: Waiter[] = [];
  /** Highest etcd revision applied to the local copy. */
  #revision = 0;
  #snapshot: RegistrySnapshot | null = null;

  constructor(options: EtcdStoreOptions) {
    this.#options = options;
    this.#keys = new EtcdKeys(options.prefix);
  }

  /** Connects, loads everything under the prefix and watches it from the revision of that read on. */
  async start(_signal: AbortSignal): Promise<void> {
    const client = new Etcd3({
      hosts: [...this.#options.endpoints],
      dialTimeout: this.#options.dialTimeoutMs,
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: Date.now() + this.#options.dialTimeoutMs },
    });
    this.#client = client;
    this.#keepAlive = new LeaseKeepAlive(client);
    const initial = await client.getAll().prefix(this.#keys.watchPrefix).exec();
    for (const kv of initial.kvs) this.#put(kv);
    this.#revision = Number(initial.header.revision);
    this.#snapshot = null;
    const watcher = await client
      .watch()
      .prefix(this.#keys.watchPrefix)
      .startRevision(String(this.#revision + 1))
      .create();
    this.#watcher = watcher;
    watcher.on('data', (response) => this.#onWatch(response));
    watcher.on('error', (error) => this.#options.onError?.(error, 'registry watch'));
  }

  async close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = null;
    await watcher?.cancel().catch(() => undefined);
    this.#keepAlive?.close();
    this.#keepAlive = null;
    this.#client?.close();
    this.#client = null;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  async upsertService(service: Service): Promise<void> {
    const value = JSON.stringify({ protectThreshold: service.protectThreshold, metadata: service.metadata });
    const response = await this.#etcd().put(this.#keys.service(service)).value(value).exec();
    await this.#ownEvent(response.header.revision);
  }

  async deleteService(ref: ServiceRef): Promise<'deleted' | 'not-found' | 'has-instances'> {
    const key = this.#keys.service(ref);
    if (this.#instancesOf(ref).length > 0) return 'has-instances';
    const response = await this.#etcd().delete().key(key).exec();
    if (Number(response.deleted) === 0) return this.#services.has(key) ? 'deleted' : 'not-found';
    await this.#ownEvent(response.header.revision);
    return 'deleted';
  }

  async getService(ref: ServiceRef): Promise<Service | undefined> {
    return this.#serviceEntries().find((entry) => serviceKey(entry.service) === serviceKey(ref))?.service;
  }

  async listServices(namespace: string, group?: string, page?: PageRequest): Promise<ServicePage> {
    const services = this.snapshot()
      .services.map((entry) => entry.service)
      .filter((service) => service.namespace === namespace);
    return pageServices(services, group, page);
  }

  async registerInstance(ref: ServiceRef, instance: Instance): Promise<void> {
    const client = this.#etcd();
    const key = this.#keys.instance(ref, instance);
    const aliveKey = this.#keys.alive(ref, instance);
    const previous = this.#instances.get(key);
    const previousAlive = this.#alive.get(key);
    const value = JSON.stringify({
      weight: instance.weight,
      healthy: instance.healthy,
      enabled: instance.enabled,
      ephemeral: instance.ephemeral,
      metadata: instance.metadata,
    });
    const writes = [];
    if (instance.ephemeral) {
      const ttl = instanceTimeoutsMs(instance, this.#options.timeouts);
      const [deleteLease, beatLease] = await Promise.all([
        this.#grant(ttl.deleteMs),
        instance.healthy ? this.#grant(ttl.heartbeatMs) : Promise.resolve(null),
      ]);
      writes.push(client.put(key).value(value).lease(deleteLease));
      writes.push(
        beatLease === null
          ? client.delete().key(aliveKey)
          : client.put(aliveKey).value(String(this.#options.now())).lease(beatLease),
      );
    } else {
      writes.push(client.put(key).value(value), client.delete().key(aliveKey));
    }
    // Nacos creates the service with defaults on the first registration; one transaction keeps both together.
    const serviceKeyName = this.#keys.service(ref);
    const serviceValue = JSON.stringify({ protectThreshold: 0, metadata: {} });
    const response = await client
      .if(serviceKeyName, 'Create', '==', 0)
      .then(client.put(serviceKeyName).value(serviceValue), ...writes)
      .else(...writes)
      .commit();
    await this.#ownEvent(response.header.revision);
    // The key now hangs on the new leases; the old ones own nothing worth keeping.
    await this.#revoke(previous?.lease, previousAlive);
  }

  async deregisterInstance(ref: ServiceRef, address: InstanceAddress): Promise<boolean> {
    const client = this.#etcd();
    const key = this.#keys.instance(ref, address);
    const previous = this.#instances.get(key);
    const previousAlive = this.#alive.get(key);
    const response = await client
      .if(key, 'Version', '>', 0)
      .then(client.delete().key(key), client.delete().key(this.#keys.alive(ref, address)))
      .commit();
    if (!response.succeeded) return false;
    await this.#ownEvent(response.header.revision);
    await this.#revoke(previous?.lease, previousAlive);
    return true;
  }

  async listInstances(ref: ServiceRef, clusters?: readonly string[]): Promise<readonly Instance[]> {
    const all = this.#instancesOf(ref);
    return clusters === undefined || clusters.length === 0
      ? all
      : all.filter((instance) => clusters.includes(instance.clusterName));
  }

  async heartbeat(ref: ServiceRef, address: InstanceAddress): Promise<boolean> {
    const key = this.#keys.instance(ref, address);
    const entry = this.#instances.get(key);
    if (entry === undefined) return false;
    if (!entry.instance.ephemeral) return true;
    const keepAlive = this.#keepAliveChannel();
    if (!(await keepAlive.refresh(entry.lease))) return false;
    const aliveLease = this.#alive.get(key);
    if (aliveLease !== undefined && (await keepAlive.refresh(aliveLease))) return true;
    // The marker expired (or never existed): the instance is back, make it healthy on every replica.
    const client = this.#etcd();
    const beatLease = await this.#grant(
      instanceTimeoutsMs(entry.instance, this.#options.timeouts).heartbeatMs,
    );
    const response = await client
      .if(key, 'Version', '>', 0)
      .then(client.put(this.#keys.alive(ref, address)).value(String(this.#options.now())).lease(beatLease))
      .commit();
    if (!response.succeeded) {
      await this.#revoke(beatLease);
      return false;
    }
    await this.#ownEvent(response.header.revision);
    return true;
  }

  async setHealthy(ref: ServiceRef, address: InstanceAddress, healthy: boolean): Promise<void> {
    const key = this.#keys.instance(ref, address);
    const entry = this.#instances.get(key);
    // Ephemeral health is the heartbeat marker's business; active checks only judge persistent instances.
    if (entry === undefined || entry.instance.ephemeral || entry.instance.healthy === healthy) return;
    const { instance } = entry;
    const value = JSON.stringify({
      weight: instance.weight,
      healthy,
      enabled: instance.enabled,
      ephemeral: false,
      metadata: instance.metadata,
    });
    const client = this.#etcd();
    // Only while the instance is unchanged: a concurrent re-registration wins over a stale check result.
    const response = await client
      .if(key, 'Mod', '<', this.#revision + 1)
      .then(client.put(key).value(value))
      .commit();
    if (response.succeeded) await this.#ownEvent(response.header.revision);
  }

  snapshot(): RegistrySnapshot {
    if (this.#snapshot !== null) return this.#snapshot;
    this.#snapshot = Object.freeze({
      revision: this.#revision,
      services: Object.freeze(this.#serviceEntries()),
    });
    return this.#snapshot;
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  #etcd(): Etcd3 {
    if (this.#client === null) throw new Error('the etcd registry store is not started');
    return this.#client;
  }

  #keepAliveChannel(): LeaseKeepAlive {
    if (this.#keepAlive === null) throw new Error('the etcd registry store is not started');
    return this.#keepAlive;
  }

  async #grant(ttlMs: number): Promise<string> {
    const response = await this.#etcd().leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlMs / 1000)) });
    return response.ID;
  }

  /** Best effort: a lease that already expired is fine, one left behind expires on its own. */
  async #revoke(...leases: readonly (string | null | undefined)[]): Promise<void> {
    const client = this.#etcd();
    await Promise.all(
      leases
        .filter((lease): lease is string => lease !== undefined && lease !== null && lease !== '0')
        .map((lease) => client.leaseClient.leaseRevoke({ ID: lease }).catch(() => undefined)),
    );
  }

  /** Resolves once the watch has applied `revision` (the write's own), so the caller reads its own write. */
  #ownEvent(revision: string): Promise<void> {
    const wanted = Number(revision);
    if (this.#revision >= wanted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve();
      }, OWN_EVENT_WAIT_MS);
      timer.unref();
      const waiter: Waiter = {
        revision: wanted,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #onWatch(response: IWatchResponse): void {
    if (response.events.length === 0) return;
    let revision = this.#revision;
    for (const event of response.events) {
      if (event.type === 'Put') this.#put(event.kv);
      else this.#delete(event.kv);
      revision = Math.max(revision, Number(event.kv.mod_revision));
    }
    this.#revision = revision;
    this.#snapshot = null;
    const ready = this.#waiters.filter((w) => w.revision <= revision);
    if (ready.length > 0) this.#waiters = this.#waiters.filter((w) => w.revision > revision);
    this.#listeners.notify();
    for (const waiter of ready) waiter.resolve();
  }

  #put(kv: IKeyValue): void {
    const key = kv.key.toString();
    const parsed = this.#keys.parse(key);
    if (parsed === null) return;
    switch (parsed.kind) {
      case 'service': {
        const value = serviceValueSchema.safeParse(parseJson(kv.value));
        if (!value.success) return;
        this.#services.set(key, Object.freeze({ ...defaultService(parsed.ref), ...value.data }));
        return;
      }
      case 'instance': {
        const value = instanceValueSchema.safeParse(parseJson(kv.value));
        if (!value.success) return;
        this.#instances.set(key, {
          ref: parsed.ref,
          instance: { ...parsed.address, ...value.data },
          lease: kv.lease,
        });
        return;
      }
      case 'alive':
        this.#alive.set(key.slice(0, key.lastIndexOf('/')), kv.lease);
        return;
    }
  }

  #delete(kv: IKeyValue): void {
    const key = kv.key.toString();
    const parsed = this.#keys.parse(key);
    if (parsed === null) return;
    if (parsed.kind === 'service') this.#services.delete(key);
    else if (parsed.kind === 'instance') this.#instances.delete(key);
    else this.#alive.delete(key.slice(0, key.lastIndexOf('/')));
  }

  /** Instances of one service with their effective health: ephemeral ones are healthy while their marker lives. */
  #instancesOf(ref: ServiceRef): Instance[] {
    const prefix = `${this.#keys.service(ref)}/`;
    const out: Instance[] = [];
    for (const [key, entry] of this.#instances) {
      if (key.startsWith(prefix)) out.push(this.#effective(key, entry));
    }
    return out.sort(compareInstances);
  }

  #effective(key: string, entry: InstanceEntry): Instance {
    const { instance } = entry;
    if (!instance.ephemeral)
      return Object.freeze({ ...instance, metadata: Object.freeze(instance.metadata) });
    return Object.freeze({
      ...instance,
      healthy: this.#alive.has(key),
      metadata: Object.freeze(instance.metadata),
    });
  }

  /** Every service (explicit, or implied by its instances) with its instances, sorted. */
  #serviceEntries(): ServiceEntry[] {
    const byService = new Map<string, { service: Service; instances: Instance[] }>();
    for (const [key, service] of this.#services) byService.set(key, { service, instances: [] });
    for (const [key, entry] of this.#instances) {
      const owner = this.#keys.service(entry.ref);
      let group = byService.get(owner);
      if (group === undefined) {
        group = { service: defaultService(entry.ref), instances: [] };
        byService.set(owner, group);
      }
      group.instances.push(this.#effective(key, entry));
    }
    return [...byService.values()]
      .sort((a, b) => compareServiceRefs(a.service, b.service))
      .map(({ service, instances }) =>
        Object.freeze({ service, instances: Object.freeze(instances.sort(compareInstances)) }),
      );
  }
}

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString());
  } catch {
    return undefined;
  }
}
