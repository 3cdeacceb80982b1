import type { RuntimeTable } from './table.js';

/**
 * The one pointer the data plane reads. A request takes `current` once; a swap replaces it atomically and the old
 * table stays alive for as long as requests still hold it.
 */
export class SnapshotHolder {
  #current: RuntimeTable | null = null;
  readonly #listeners = new Set<(table: RuntimeTable, previous: RuntimeTable | null) => void>();

  get current(): RuntimeTable | null {
    return this.#current;
  }

  swap(table: RuntimeTable): void {
    const previous = this.#current;
    this.#current = table;
    for (const listener of this.#listeners) listener(table, previous);
  }

  /** Called after every swap; returns an unsubscribe function. */
  onSwap(listener: (table: RuntimeTable, previous: RuntimeTable | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
