import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RuntimeEndpoint } from '../runtime/table.js';
import type { TryLoop } from './retry-loop.js';

/** undici's response-head callback arguments: controller, status, parsed headers, status message. */
type ResponseStart = Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>;

/**
 * The undici dispatch handler of one try. It hands every callback to the request's `TryLoop`, which relays it
 * to the exchange or, when the try is repeated, drops it: once a try is abandoned (`abandoned`), its late
 * callbacks (undici reports the abort we caused) must not touch the client response.
 */
export class UpstreamTry implements Dispatcher.DispatchHandler {
  readonly loop: TryLoop;
  readonly endpoint: RuntimeEndpoint;
  /** performance.now() at dispatch. */
  readonly startedAt: number;
  /** True for the second and later tries (they hold a retry-budget slot). */
  readonly retry: boolean;
  controller: Dispatcher.DispatchController | null = null;
  /** The loop gave up on this try (retried, or the request timed out): ignore what undici still reports. */
  abandoned = false;
  /** The per-try timeout fired (the loop aborted the try, or will as soon as undici starts it). */
  timedOut = false;
  /** A response head arrived (and was relayed): errors after it are body errors, never retried. */
  headReceived = false;
  /** The try released its connection slot and budget (exactly once). */
  released = false;

  constructor(loop: TryLoop, endpoint: RuntimeEndpoint, startedAt: number, retry: boolean) {
    this.loop = loop;
    this.endpoint = endpoint;
    this.startedAt = startedAt;
    this.retry = retry;
  }

  onRequestStart(controller: Dispatcher.DispatchController, _context: unknown): void {
    this.controller = controller;
    this.loop.tryRequestStart(this, controller);
  }

  onResponseStart(...head: ResponseStart): void {
    if (!this.abandoned) this.loop.tryResponseStart(this, ...head);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.abandoned) this.loop.host.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.loop.release(this);
    if (!this.abandoned) this.loop.host.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.loop.release(this);
    if (!this.abandoned) this.loop.tryError(this, controller, error);
  }
}
