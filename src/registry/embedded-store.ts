import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ChangeListeners } from './change-listeners.js';
import { writeFileDurably } from './durable-file.js';
import { livenessOf } from './liveness.js';
import {
  compareInstances,
  compareServiceRefs,
  defaultService,
  type Instance,
  type InstanceAddress,
  instanceKey,
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

/** The data directory's one file: every service and every persistent instance. */
const STATE_FILE = 'registry.json';
const STATE_VERSION = 1;

export interface EmbeddedStoreOptions {
  /** Directory holding `registry.json`; created when missing. */
  readonly dataDir: string;
  readonly timeouts: LivenessTimeouts;
  readonly clock: Clock;
}

interface MutableEntry {
  service: Service;
  readonly instances: Map<string, Instance>;
  /** Wall-clock ms of the last beat per instance key; ephemeral instances only. */
  readonly beats: Map<string, number>;
}

const stringMap = z.record(z.string(), z.string());
const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  services: z.array(
    z.object({
      namespace: z.string(),
      group: z.string(),
      service: z.string(),
      protectThreshold: z.number(),
      metadata: stringMap,
      instances: z.array(
        z.object({
          ip: z.string(),
          port: z.number().int(),
          clusterName: z.string(),
          weight: z.number(),
          healthy: z.boolean(),
          enabled: z.boolean(),
          metadata: stringMap,
        }),
      ),
    }),
  ),
});
type StateFile = z.infer<typeof stateSchema>;

/**
 * The default store: everything in memory, services and persistent instances also in `<dataDir>/registry.json`,
 * rewritten durably (temporary file, fsync, rename, fsync of the directory) before the write that changed them
 * resolves — so an acknowledged persistent registration survives `kill -9`. Ephemeral instances are memory only,
 * like Nacos' Distro data: after a restart their clients' beats get 20404 and the clients re-register.
 * Concurrent writes are coalesced: while one file write runs, every change waits for the single next one.
 */
export class EmbeddedStore implements RegistryStore {
  readonly name = 'registry-store-embedded';
  readonly #options: EmbeddedStoreOptions;
  readonly #entries = new Map<string, MutableEntry>();
  readonly #listeners = new ChangeListeners();
  #revision = 0;
  #snapshot: RegistrySnapshot | null = null;
  #sweep: NodeJS.Timeout | null = null;
  /** The file write in progress, and the one queued behind it that later changes join. */
  #writing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;

  constructor(options: EmbeddedStoreOptions) {
    this.#options = options;
  }

  async start(_signal: AbortSignal): Promise<void> {
    await mkdir(this.#options.dataDir, { recursive: true });
    this.#load(await this.#readState());
    this.#sweep = setInterval(() => this.#expire(), this.#options.timeouts.sweepIntervalMs);
    this.#sweep.unref();
  }

  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    await (this.#queued ?? this.#writing).catch(() => undefined);
  }

  async upsertService(service: Service): Promise<void> {
    const entry = this.#entries.get(serviceKey(service));
    const frozen = freezeService(service);
    if (entry) entry.service = frozen;
    else this.#entries.set(serviceKey(service), newEntry(frozen));
    this.#changed();
    await this.#persist();
  }

  async deleteService(ref: ServiceRef): Promise<'deleted' | 'not-found' | 'has-instances'> {
    const entry = this.#entries.get(serviceKey(ref));
    if (!entry) return 'not-found';
    if (entry.instances.size > 0) return 'has-instances';
    this.#entries.delete(serviceKey(ref));
    this.#changed();
    await this.#persist();
    return 'deleted';
  }

  async getService(ref: ServiceRef): Promise<Service | undefined> {
    return this.#entries.get(serviceKey(ref))?.service;
  }

  async listServices(namespace: string, group?: string, page?: PageRequest): Promise<ServicePage> {
    const inNamespace = this.snapshot()
      .services.filter((e) => e.service.namespace === namespace)
      .map((e) => e.service);
    return pageServices(inNamespace, group, page);
  }

  async registerInstance(ref: ServiceRef, instance: Instance): Promise<void> {
    const key = serviceKey(ref);
    let entry = this.#entries.get(key);
    const created = entry === undefined;
    if (!entry) {
      entry = newEntry(defaultService(ref));
      this.#entries.set(key, entry);
    }
    const id = instanceKey(instance);
    const previous = entry.instances.get(id);
    entry.instances.set(id, freezeInstance(instance));
    if (instance.ephemeral) entry.beats.set(id, this.#options.clock.now());
    else entry.beats.delete(id);
    this.#changed();
    if (created || !instance.ephemeral || previous?.ephemeral === false) await this.#persist();
  }

  async deregisterInstance(ref: ServiceRef, address: InstanceAddress): Promise<boolean> {
    const entry = this.#entries.get(serviceKey(ref));
    const id = instanceKey(address);
    const previous = entry?.instances.get(id);
    if (!entry || !previous) return false;
    entry.instances.delete(id);
    entry.beats.delete(id);
    this.#changed();
    if (!previous.ephemeral) await this.#persist();
    return true;
  }

  async listInstances(ref: ServiceRef, clusters?: readonly string[]): Promise<readonly Instance[]> {
    const entry = this.#entries.get(serviceKey(ref));
    if (!entry) return [];
    const all = [...entry.instances.values()];
    const wanted =
      clusters === undefined || clusters.length === 0
        ? all
        : all.filter((i) => clusters.includes(i.clusterName));
    return wanted.sort(compareInstances);
  }

  async heartbeat(ref: ServiceRef, address: InstanceAddress): Promise<boolean> {
    const entry = this.#entries.get(serviceKey(ref));
    const id = instanceKey(address);
    const instance = entry?.instances.get(id);
    if (!entry || !instance) return false;
    if (instance.ephemeral) entry.beats.set(id, this.#options.clock.now());
    // Nacos' ClientBeatProcessor: a beat from an instance marked unhealthy makes it healthy again.
    if (!instance.healthy) {
      entry.instances.set(id, freezeInstance({ ...instance, healthy: true }));
      this.#changed();
    }
    return true;
  }

  async setHealthy(ref: ServiceRef, address: InstanceAddress, healthy: boolean): Promise<void> {
    const entry = this.#entries.get(serviceKey(ref));
    const id = instanceKey(address);
    const instance = entry?.instances.get(id);
    if (!entry || !instance || instance.healthy === healthy) return;
    // Not persisted: after a restart the active checker decides again.
    entry.instances.set(id, freezeInstance({ ...instance, healthy }));
    this.#changed();
  }

  snapshot(): RegistrySnapshot {
    if (this.#snapshot) return this.#snapshot;
    const services: ServiceEntry[] = [];
    for (const entry of this.#entries.values()) {
      services.push(
        Object.freeze({
          service: entry.service,
          instances: Object.freeze([...entry.instances.values()].sort(compareInstances)),
        }),
      );
    }
    services.sort((a, b) => compareServiceRefs(a.service, b.service));
    this.#snapshot = Object.freeze({ revision: this.#revision, services: Object.freeze(services) });
    return this.#snapshot;
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  #changed(): void {
    this.#revision++;
    this.#snapshot = null;
    this.#listeners.notify();
  }

  /** The sweep: applies the liveness rule to every ephemeral instance, one change notification per sweep. */
  #expire(): void {
    const now = this.#options.clock.now();
    let changed = false;
    for (const entry of this.#entries.values()) {
      for (const [id, lastBeat] of entry.beats) {
        const instance = entry.instances.get(id);
        if (!instance) continue;
        const verdict = livenessOf(instance, lastBeat, now, this.#options.timeouts);
        if (verdict === 'expired') {
          entry.instances.delete(id);
          entry.beats.delete(id);
          changed = true;
        } else if (verdict === 'unhealthy' && instance.healthy) {
          entry.instances.set(id, freezeInstance({ ...instance, healthy: false }));
          changed = true;
        }
      }
    }
    if (changed) this.#changed();
  }

  /** Resolves once a file write that started after this call has completed (coalescing concurrent callers). */
  #persist(): Promise<void> {
    if (this.#queued) return this.#queued;
    const queued = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = null;
        this.#writing = this.#writeState();
        return this.#writing;
      });
    this.#queued = queued;
    return queued;
  }

  #writeState(): Promise<void> {
    const state: StateFile = { version: STATE_VERSION, services: [] };
    for (const entry of this.snapshot().services) {
      // Ephemeral instances are memory only; `ephemeral: false` written with the others is dropped on load.
      state.services.push({ ...entry.service, instances: entry.instances.filter((i) => !i.ephemeral) });
    }
    return writeFileDurably(join(this.#options.dataDir, STATE_FILE), JSON.stringify(state));
  }

  async #readState(): Promise<StateFile | null> {
    const path = join(this.#options.dataDir, STATE_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    // A corrupt file stops the start rather than silently dropping persistent registrations.
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path}: not a registry state file: ${parsed.error.message}`);
    return parsed.data;
  }

  #load(state: StateFile | null): void {
    if (!state) return;
    for (const stored of state.services) {
      const entry = newEntry(freezeService({ ...stored, selector: { type: 'none' } }));
      for (const instance of stored.instances) {
        entry.instances.set(instanceKey(instance), freezeInstance({ ...instance, ephemeral: false }));
      }
      this.#entries.set(serviceKey(stored), entry);
    }
    this.#changed();
  }
}

function newEntry(service: Service): MutableEntry {
  return { service, instances: new Map(), beats: new Map() };
}

function freezeService(service: Service): Service {
  const { namespace, group, service: name, protectThreshold, metadata, selector } = service;
  return Object.freeze({
    namespace,
    group,
    service: name,
    protectThreshold,
    metadata: Object.freeze({ ...metadata }),
    selector: Object.freeze({ ...selector }),
  });
}

function freezeInstance(instance: Instance): Instance {
  const { ip, port, clusterName, weight, healthy, enabled, ephemeral, metadata } = instance;
  return Object.freeze({
    ip,
    port,
    clusterName,
    weight,
    healthy,
    enabled,
    ephemeral,
    metadata: Object.freeze({ ...metadata }),
  });
}
