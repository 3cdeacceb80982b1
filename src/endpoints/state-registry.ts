/**
 * Long-lived state keyed by a stable name (a backend or endpoint name from `src/ir/names.ts`). A table swap
 * builds new pickers, but they find the state of the previous table here, so rotation positions (and later
 * in-flight counts, EWMA, health) carry over a reload instead of restarting. Owns no timers.
 */
export class StateRegistry<T> {
  readonly #entries = new Map<string, T>();
  readonly #create: (name: string) => T;

  /** @param create makes the initial state for a name seen for the first time. */
  constructor(create: (name: string) => T) {
    this.#create = create;
  }

  /** The state for `name`, created on first use. Called at compile time, not per request. */
  acquire(name: string): T {
    let state = this.#entries.get(name);
    if (state === undefined) {
      state = this.#create(name);
      this.#entries.set(name, state);
    }
    return state;
  }

  /** The state for `name` if it exists; never creates. */
  get(name: string): T | undefined {
    return this.#entries.get(name);
  }

  /**
   * Drops the state of every name not in `liveNames` and returns how many were dropped. Tables still draining
   * keep the objects they hold; only later acquisitions start afresh.
   */
  retain(liveNames: Iterable<string>): number {
    const live = new Set(liveNames);
    let dropped = 0;
    for (const name of this.#entries.keys()) {
      if (!live.has(name)) {
        this.#entries.delete(name);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Names with state, in insertion order. */
  names(): IterableIterator<string> {
    return this.#entries.keys();
  }
}
