import { HEART_BEAT_TIMEOUT_KEY, type Instance, IP_DELETE_TIMEOUT_KEY } from './model.js';
import type { LivenessTimeouts } from './store.js';

/** What a store must do with an instance now. */
export type LivenessVerdict = 'alive' | 'unhealthy' | 'expired';

/**
 * The one rule for ephemeral instances, applied by every store's sweep (Nacos 1.x `ClientBeatCheckTask`): no beat
 * for the heartbeat timeout → unhealthy, no beat for the delete timeout → removed. Per-instance metadata
 * `preserved.heart.beat.timeout` / `preserved.ip.delete.timeout` (milliseconds) override the defaults. Persistent
 * instances are always `alive` here: the active checker owns their health. `lastBeat` and `now` are wall-clock
 * milliseconds (registration counts as a beat).
 */
export function livenessOf(
  instance: Instance,
  lastBeat: number,
  now: number,
  timeouts: LivenessTimeouts,
): LivenessVerdict {
  if (!instance.ephemeral) return 'alive';
  const silentFor = now - lastBeat;
  if (silentFor > metadataMs(instance, IP_DELETE_TIMEOUT_KEY, timeouts.deleteTimeoutMs)) return 'expired';
  if (silentFor > metadataMs(instance, HEART_BEAT_TIMEOUT_KEY, timeouts.heartbeatTimeoutMs))
    return 'unhealthy';
  return 'alive';
}

/** A milliseconds value from an instance's `preserved.*` metadata, or `fallback` when absent or not a positive integer. */
export function metadataMs(instance: Instance, key: string, fallback: number): number {
  return metadataValueMs(instance.metadata, key, fallback);
}

/** {@link metadataMs} over a bare metadata map. */
export function metadataValueMs(
  metadata: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
): number {
  const raw = metadata[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  // Nacos parses these with Long.parseLong; a value it could not parse falls back to the default here.
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/**
 * The heartbeat and delete timeouts that apply to `instance` (defaults overridden by its `preserved.*` metadata),
 * for stores that hand expiry to their backend (the etcd store sets its lease TTLs from them).
 */
export function instanceTimeoutsMs(
  instance: Instance,
  timeouts: LivenessTimeouts,
): { readonly heartbeatMs: number; readonly deleteMs: number } {
  return {
    heartbeatMs: metadataMs(instance, HEART_BEAT_TIMEOUT_KEY, timeouts.heartbeatTimeoutMs),
    deleteMs: metadataMs(instance, IP_DELETE_TIMEOUT_KEY, timeouts.deleteTimeoutMs),
  };
}
