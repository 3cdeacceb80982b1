/**
 * Bounded polling for tests: every wait in the e2e suite ends, with a message that says what never happened.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between two attempts; default 50 ms. */
  readonly intervalMs?: number | undefined;
  /** What was awaited, for the error message. */
  readonly what?: string | undefined;
  /** Gives up at once when aborted (the process being waited on has exited, say), with the abort reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Calls `fn` until it returns a truthy value (which is returned) or `timeoutMs` passes. A throwing attempt counts
 * as "not yet"; its error is reported if the wait times out, since it is usually the reason.
 */
export async function waitUntil<T>(fn: () => T | Promise<T>, options: WaitOptions): Promise<NonNullable<T>> {
  const deadline = performance.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 50;
  let lastError: unknown;
  let lastValue: T | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      lastValue = await fn();
      if (lastValue) return lastValue;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) break;
    // The timer rejects with a generic AbortError; the signal's own reason says why.
    await delay(intervalMs, undefined, { signal: options.signal }).catch(() =>
      options.signal?.throwIfAborted(),
    );
  }
  const detail =
    lastError === undefined ? `last value: ${String(lastValue)}` : `last error: ${describe(lastError)}`;
  throw new Error(
    `timed out after ${options.timeoutMs} ms waiting for ${options.what ?? 'a condition'} (${detail})`,
  );
}

/** Rejects when `promise` has not settled within `timeoutMs`; the timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
