/**
 * Everything that owns sockets, timers or watches follows this lifecycle. `close` must be safe to call after a
 * partial (or failed) `start`, and more than once.
 */
export interface Runner {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
