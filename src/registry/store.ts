import type { Runner } from '../core/lifecycle.js';
import type {
  Instance,
  InstanceAddress,
  PageRequest,
  RegistrySnapshot,
  Service,
  ServicePage,
  ServiceRef,
} from './model.js';

/**
 * Where the registry keeps its content. One interface, two implementations: the embedded store (memory + data
 * directory, one process) and the etcd store (several replicas sharing one prefix).
 *
 * Layering decisions every implementation follows:
 * - Inputs are already validated (ranges, sizes, names) by the API layer; a store never rejects for shape.
 * - **The store owns ephemeral liveness.** Heartbeats must work on any replica, so the state they refresh lives
 *   where the instances live. `liveness.ts` holds the one rule (Nacos' defaults: unhealthy after
 *   `heartbeatTimeoutMs` without a beat, deleted after `deleteTimeoutMs`, per-instance overrides through the
 *   `preserved.heart.beat.timeout` / `preserved.ip.delete.timeout` metadata); stores apply it in their sweep.
 * - Persistent instances are never expired by a store; their `healthy` flag is set by the active health checker
 *   through {@link RegistryStore.setHealthy}.
 * - Reads reflect every write whose promise has resolved on the same store object (read-your-writes), even when
 *   the backend propagates asynchronously.
 * - Change listeners are called synchronously after the change is visible in {@link RegistryStore.snapshot};
 *   bursts may be coalesced, a listener must re-read the snapshot.
 */
export interface RegistryStore extends Runner {
  /** Creates or replaces a service's attributes; instances are kept. */
  upsertService(service: Service): Promise<void>;
  /**
   * Deletes a service. Refused (`'has-instances'`) while it still has instances, as Nacos does; `'not-found'` when
   * it does not exist.
   */
  deleteService(ref: ServiceRef): Promise<'deleted' | 'not-found' | 'has-instances'>;
  getService(ref: ServiceRef): Promise<Service | undefined>;
  /** Services of a namespace (optionally one group), sorted by name; `page` is 1-based like Nacos' `pageNo`. */
  listServices(namespace: string, group?: string, page?: PageRequest): Promise<ServicePage>;
  /**
   * Adds an instance or replaces the one with the same `ip#port#cluster`. Creates the service with defaults when it
   * does not exist (Nacos creates services implicitly on registration). Counts as a heartbeat. The time of the last
   * beat is the store's private state, not part of {@link Instance}: beats are frequent and are not changes (only
   * a health flip they cause is).
   */
  registerInstance(ref: ServiceRef, instance: Instance): Promise<void>;
  /** Removes one instance; false when it was not there. A service left empty stays (as in Nacos). */
  deregisterInstance(ref: ServiceRef, address: InstanceAddress): Promise<boolean>;
  /** Instances of a service, all clusters or only `clusters`, sorted by `ip#port#cluster`. Empty when unknown. */
  listInstances(ref: ServiceRef, clusters?: readonly string[]): Promise<readonly Instance[]>;
  /**
   * Refreshes an ephemeral instance's last beat and marks it healthy again. False when the instance does not
   * exist (the API then answers Nacos' 20404 so the client re-registers).
   */
  heartbeat(ref: ServiceRef, address: InstanceAddress): Promise<boolean>;
  /** Records an active health-check result for a (persistent) instance; a no-op when unchanged or unknown. */
  setHealthy(ref: ServiceRef, address: InstanceAddress, healthy: boolean): Promise<void>;
  /** The complete current content, synchronously (for the provider and the admin API). */
  snapshot(): RegistrySnapshot;
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Liveness timeouts for ephemeral instances (defaults: Nacos' 15 s / 30 s, swept every second or so). */
export interface LivenessTimeouts {
  readonly heartbeatTimeoutMs: number;
  readonly deleteTimeoutMs: number;
  /** How often the store applies the rule; bounds how late an expiry is noticed. */
  readonly sweepIntervalMs: number;
}

/** Nacos' defaults (`Constants.DEFAULT_HEART_BEAT_TIMEOUT`, `DEFAULT_IP_DELETE_TIMEOUT`). */
export const DEFAULT_LIVENESS: LivenessTimeouts = {
  heartbeatTimeoutMs: 15_000,
  deleteTimeoutMs: 30_000,
  sweepIntervalMs: 1_000,
};
