import { createHash } from 'node:crypto';
import type { ObjectLoadError, ObjectSet, SourcedObject } from '../objects/envelope.js';

export interface MergedObjects {
  readonly objects: readonly SourcedObject[];
  readonly errors: readonly ObjectLoadError[];
}

/**
 * Keeps the latest complete set of every provider and merges them. Sets are concatenated in provider name order;
 * translation sorts and de-duplicates objects itself, so a clash between providers is reported there like any
 * other duplicate.
 */
export class ObjectSetMerger {
  readonly #sets = new Map<string, { readonly set: ObjectSet; readonly hash: string }>();

  /** Records a provider's new set; returns true when its content differs from that provider's previous one. */
  update(set: ObjectSet): boolean {
    const hash = createHash('sha256').update(JSON.stringify(set)).digest('hex');
    const changed = this.#sets.get(set.provider)?.hash !== hash;
    this.#sets.set(set.provider, { set, hash });
    return changed;
  }

  /** Providers that have delivered at least one set. */
  synced(): ReadonlySet<string> {
    return new Set(this.#sets.keys());
  }

  merged(): MergedObjects {
    const names = [...this.#sets.keys()].sort();
    const sets = names.map((name) => (this.#sets.get(name) as { set: ObjectSet }).set);
    return { objects: sets.flatMap((s) => s.objects), errors: sets.flatMap((s) => s.errors) };
  }
}
