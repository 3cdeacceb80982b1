/** The listeners of a store's `onChange`, shared by every store implementation. */
export class ChangeListeners {
  readonly #listeners = new Set<() => void>();

  /** Adds a listener; returns the function that removes it (the `onChange` contract). */
  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls every listener synchronously, after the change is visible in the snapshot. */
  notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
