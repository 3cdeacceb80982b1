import type { CleanupScope } from './gateway-process.js';

/**
 * Cleanups of a test file's shared fixtures, run in reverse order of registration (the gateway stops before the
 * upstreams it talks to). Register `run` with `after` from `node:test`; pass the instance as a `CleanupScope`.
 */
export class Cleanups implements CleanupScope {
  readonly #fns: (() => Promise<void>)[] = [];

  after(fn: () => Promise<void>): void {
    this.#fns.push(fn);
  }

  /** Runs every cleanup even when some fail, then reports the failures together. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const fn of this.#fns.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}
