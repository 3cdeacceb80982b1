import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { type ErrorReason, GatewayError } from '../core/errors.js';
import type { EndpointOutcome } from '../endpoints/endpoint-state.js';
import { DEFAULT_REPLAY_BODY_BYTES, DEFAULT_RETRY_POLICY } from '../ir/resilience-defaults.js';
import type { RetryPolicy } from '../ir/types.js';
import { type BackendGuard, OVERFLOW, type PendingTry, QUEUED } from '../resilience/backend-guard.js';
import { backoffMs } from '../resilience/backoff.js';
import { retryAllowed, type TryFailure } from '../resilience/retry-conditions.js';
import type { PickRequest, RuntimeBackend, RuntimeEndpoint, RuntimeRoute } from '../runtime/table.js';
import { reasonForUpstreamError, sendErrorResponse } from './error-response.js';
import { UpstreamTry } from './upstream-try.js';

/** What the loop needs from the exchange it drives (the proxy's `Exchange`). */
export interface TryHost extends Dispatcher.DispatchHandler, PickRequest {
  readonly res: ServerResponse;
  /** The request method, as received. */
  readonly method: string;
  /** True while the request can be sent again: it has no body, or its body is still kept for replay. */
  readonly replayable: boolean;
  /** Dispatches one try to `endpoint` (the current try from now on), the response head due within `headersTimeoutMs`. */
  dispatchTry(endpoint: RuntimeEndpoint, handler: Dispatcher.DispatchHandler, headersTimeoutMs: number): void;
  /** Reports the end of the current try to its backend (endpoint feedback), once. */
  endTry(outcome: EndpointOutcome): void;
  /** The current try is given up for a retry: `endTry`, and its request body stream stops. */
  abandonTry(outcome: EndpointOutcome): void;
}

/** Aborts a try that is being repeated; never reaches the client. */
const RETRYING = new GatewayError('upstream-reset', 'try abandoned for a retry');
/** `retry-per-try-timeout` expired (undici's own head timeout ticks in ~0.5 s steps, too coarse for it). */
const TRY_TIMEOUT = new GatewayError('upstream-timeout', 'per-try timeout expired');
/** `proxy-request-timeout` expired. */
const REQUEST_TIMEOUT = new GatewayError('upstream-timeout', 'request timeout expired');

/**
 * Drives the tries of one proxied request under the route's retry policy and the backend's guard:
 * - admission: the backend's `maxRequests` (503 `overflow`), its trip breaker (503 `circuit-open`), then a
 *   connection slot per try (`maxConnections`; beyond it the try waits as pending — at most the connect timeout —
 *   and a full pending queue is 503 `overflow`);
 * - retries (Envoy semantics): after a connect failure, a reset, a first-byte/per-try timeout or a listed status,
 *   as the policy allows for the method; never once the client has the response head, never for a request
 *   whose body outgrew `replayBodyBytes` (smaller bodies are kept and replayed); on another endpoint than those tried when one is eligible (`pick(…, avoid)`); after a jittered
 *   exponential backoff; within `attempts`, `proxy-next-upstream-timeout` and the backend's retry budget;
 * - `proxy-request-timeout`: until the response head is relayed, for every try and wait together (504).
 * One per request; its timers are the backoff, pending and request timers, armed only when needed.
 */
export class TryLoop implements PendingTry {
  readonly host: TryHost;
  readonly #route: RuntimeRoute;
  readonly #backend: RuntimeBackend;
  readonly #guard: BackendGuard;
  readonly #policy: RetryPolicy;
  readonly #startedAt = performance.now();
  #tries = 0;
  #current: UpstreamTry | null = null;
  #next: RuntimeEndpoint | null = null;
  #tried: Set<string> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #tryTimer: NodeJS.Timeout | null = null;
  #requestTimer: NodeJS.Timeout | null = null;
  #admitted = false;
  #probe = false;
  #done = false;
  /** Tries after the first, for logs and views. */
  retries = 0;

  constructor(host: TryHost, route: RuntimeRoute, backend: RuntimeBackend) {
    this.host = host;
    this.#route = route;
    this.#backend = backend;
    this.#guard = backend.guard;
    this.#policy = route.ir.policy.retry ?? DEFAULT_RETRY_POLICY;
  }

  /**
   * The largest request body kept for replay, bytes: the policy's (Envoy's 64 KiB by default), none when the
   * policy makes a single try.
   */
  get replayBodyBytes(): number {
    const policy = this.#policy;
    return policy.attempts === 1 ? 0 : (policy.replayBodyBytes ?? DEFAULT_REPLAY_BODY_BYTES);
  }

  /** Admits the request and starts its first try on `endpoint`. */
  start(endpoint: RuntimeEndpoint): void {
    const guard = this.#guard;
    const now = performance.now();
    if (!guard.admitRequest()) {
      this.#fail('overflow');
      return;
    }
    this.#admitted = true;
    const admission = guard.breaker.admit(now);
    if (admission === 0) {
      this.#fail('circuit-open');
      return;
    }
    this.#probe = admission === 2;
    guard.budget.requestStarted(now);
    const requestMs = this.#route.timeouts.requestMs;
    if (requestMs !== null && requestMs !== undefined)
      this.#requestTimer = setTimeout(onRequestTimer, requestMs, this);
    this.#begin(endpoint);
  }

  /** A connection slot was handed over to the pending try. */
  connectionGranted(): void {
    this.#clearTimer();
    const endpoint = this.#next;
    this.#next = null;
    if (this.#done || endpoint === null) {
      this.#guard.releaseConnection();
      return;
    }
    this.#dispatch(endpoint);
  }

  /** @internal */
  tryRequestStart(attempt: UpstreamTry, controller: Dispatcher.DispatchController): void {
    if (attempt.abandoned) controller.abort(RETRYING);
    else if (attempt.timedOut) controller.abort(TRY_TIMEOUT);
    else this.host.onRequestStart?.(controller, {});
  }

  /** @internal A response head: relay it, or repeat the try when its status is one the policy retries. */
  tryResponseStart(
    attempt: UpstreamTry,
    controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusMessage: string | undefined,
  ): void {
    if (status >= 200) {
      this.#clearTryTimer();
      const now = performance.now();
      const latency = now - attempt.startedAt;
      if (this.#policy.statuses.length > 0 && this.#mayRetry(null, status, now)) {
        this.#abandon(attempt, status >= 500 ? 'http-5xx' : 'success', status, latency, now);
        controller.abort(RETRYING);
        this.#retry();
        return;
      }
      attempt.headReceived = true;
      this.#record(status, latency, now);
      this.#settle(status);
    }
    this.host.onResponseStart?.(controller, status, headers, statusMessage);
  }

  /** @internal A try failed: repeat it when allowed, else let the exchange answer. */
  tryError(attempt: UpstreamTry, controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#clearTryTimer();
    if (!attempt.headReceived && !this.#done) {
      const reason = reasonForUpstreamError(error);
      const failure = failureOf(reason);
      const now = performance.now();
      if (failure !== null && error !== REQUEST_TIMEOUT && this.#mayRetry(failure, 0, now)) {
        this.#abandon(attempt, 'gateway-failure', 0, now - attempt.startedAt, now);
        this.#retry();
        return;
      }
      this.#record(failure === null ? -1 : 0, now - attempt.startedAt, now);
      this.#settle(failure === null ? -1 : 0);
    }
    this.host.onResponseError?.(controller as Dispatcher.DispatchController, error);
  }

  /** @internal A try's terminal callback: give back its connection slot and budget, once. */
  release(attempt: UpstreamTry): void {
    if (attempt.released) return;
    attempt.released = true;
    this.#guard.releaseConnection();
    if (attempt.retry) this.#guard.budget.retryEnded();
  }

  /** The client response is closed: stop waiting, free the request slot. Called by the exchange once. */
  finished(): void {
    this.#settle(-1);
    this.#clearTimer();
    this.#clearTryTimer();
    if (this.#next !== null) {
      this.#guard.cancelPending(this);
      this.#next = null;
    }
    if (this.#admitted) {
      this.#admitted = false;
      this.#guard.requestEnded();
    }
  }

  /** @internal `proxy-request-timeout` fired. */
  requestTimedOut(): void {
    this.#requestTimer = null;
    if (this.#done || this.host.res.headersSent) return;
    const attempt = this.#current;
    if (attempt !== null && !attempt.released && attempt.controller !== null) {
      // The exchange answers 504 from the error undici reports for this abort.
      attempt.controller.abort(REQUEST_TIMEOUT);
      return;
    }
    this.#fail('upstream-timeout');
  }

  /** @internal The current try's `retry-per-try-timeout` fired. */
  tryTimedOut(): void {
    this.#tryTimer = null;
    const attempt = this.#current;
    if (attempt === null || attempt.released || attempt.headReceived) return;
    attempt.timedOut = true;
    attempt.controller?.abort(TRY_TIMEOUT);
  }

  /** @internal The backoff before the next try is over. */
  backoffOver(): void {
    this.#timer = null;
    if (this.#done) return;
    const endpoint = this.#backend.pick(this.host, this.#tried);
    if (endpoint === null) {
      this.#fail('no-endpoint');
      return;
    }
    this.#begin(endpoint);
  }

  /** @internal A pending try waited the connect timeout for a slot. */
  pendingExpired(): void {
    this.#timer = null;
    if (this.#next !== null && this.#guard.cancelPending(this)) {
      this.#next = null;
      this.#fail('overflow');
    }
  }

  #begin(endpoint: RuntimeEndpoint): void {
    const acquired = this.#guard.acquireConnection(this);
    if (acquired === OVERFLOW) {
      this.#fail('overflow');
      return;
    }
    if (acquired === QUEUED) {
      this.#next = endpoint;
      this.#timer = setTimeout(onPendingTimer, this.#route.timeouts.connectMs, this);
      return;
    }
    this.#dispatch(endpoint);
  }

  #dispatch(endpoint: RuntimeEndpoint): void {
    const retry = this.#tries > 0;
    this.#tries++;
    const attempt = new UpstreamTry(this, endpoint, performance.now(), retry);
    this.#current = attempt;
    const timeouts = this.#route.timeouts;
    const firstByte = timeouts.firstByteMs ?? timeouts.readMs;
    const perTry = this.#policy.perTryTimeoutMs;
    if (perTry !== null && perTry < firstByte) this.#tryTimer = setTimeout(onTryTimer, perTry, this);
    this.host.dispatchTry(endpoint, attempt, firstByte);
  }

  #mayRetry(failure: TryFailure | null, status: number, now: number): boolean {
    const policy = this.#policy;
    if (this.#done || !this.host.replayable || this.host.res.headersSent) return false;
    const limit = policy.attempts === 0 ? this.#backend.endpoints.length : policy.attempts;
    if (this.#tries >= limit) return false;
    if (policy.timeoutMs !== null && now - this.#startedAt >= policy.timeoutMs) return false;
    if (!retryAllowed(policy, this.host.method, failure, status)) return false;
    const breaker = this.#guard.policy;
    return this.#guard.budget.tryAcquire(now, breaker.retryBudgetPercent, breaker.retryBudgetMinConcurrency);
  }

  /** Ends `attempt` as repeated: endpoint feedback, breaker window, and nothing more reaches the client. */
  #abandon(
    attempt: UpstreamTry,
    outcome: EndpointOutcome,
    status: number,
    latency: number,
    now: number,
  ): void {
    attempt.abandoned = true;
    this.host.abandonTry(outcome);
    this.#record(status, latency, now);
    this.#tried ??= new Set();
    this.#tried.add(attempt.endpoint.name);
  }

  #retry(): void {
    this.retries++;
    const policy = this.#policy;
    const delay = backoffMs(this.retries, policy.backoffBaseMs, policy.backoffMaxMs, Math.random());
    this.#timer = setTimeout(onBackoffTimer, delay, this);
  }

  /** One try's result for the trip breaker's window (status, 0 network error, -1 not the backend's doing). */
  #record(status: number, latency: number, now: number): void {
    if (!this.#probe) this.#guard.breaker.record(now, status, latency, false);
  }

  /** The request's outcome is known: the half-open probe reports it; the request timer stops. */
  #settle(status: number): void {
    if (this.#requestTimer !== null) {
      clearTimeout(this.#requestTimer);
      this.#requestTimer = null;
    }
    if (this.#probe) {
      this.#probe = false;
      this.#guard.breaker.record(performance.now(), status, 0, true);
    }
  }

  #fail(reason: ErrorReason): void {
    this.#settle(-1);
    this.#done = true;
    this.#clearTimer();
    if (this.#next !== null) {
      this.#guard.cancelPending(this);
      this.#next = null;
    }
    const res = this.host.res;
    if (!res.headersSent && !res.destroyed) sendErrorResponse(res, reason);
  }

  #clearTryTimer(): void {
    if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
    this.#tryTimer = null;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function failureOf(reason: ErrorReason): TryFailure | null {
  switch (reason) {
    case 'upstream-connect':
      return 'connect';
    case 'upstream-reset':
      return 'reset';
    case 'upstream-timeout':
      return 'timeout';
    default:
      return null;
  }
}

function onBackoffTimer(loop: TryLoop): void {
  loop.backoffOver();
}

function onPendingTimer(loop: TryLoop): void {
  loop.pendingExpired();
}

function onTryTimer(loop: TryLoop): void {
  loop.tryTimedOut();
}

function onRequestTimer(loop: TryLoop): void {
  loop.requestTimedOut();
}
