import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError } from '../core/errors.js';

const kBody = Symbol('tidegate.requestBody');

/** The client request, carrying its body adapter so that shared (non-closure) listeners can find it. */
type BodySource = IncomingMessage & { [kBody]?: RequestBody };

/**
 * The client's request body as undici's upstream body, relaying chunks with back-pressure: the client request
 * is paused when this stream's buffer is full and resumed when undici reads again (undici itself pauses its
 * reading while the upstream socket does not drain). An adapter rather than the IncomingMessage itself, because
 * undici destroys its body on any error — which would destroy the client socket before a 413 or 502 could be
 * sent.
 *
 * It enforces two limits while streaming:
 * - `limit` bytes (`route.maxBodyBytes`), for bodies without a Content-Length: exceeding it fails the upstream
 *   request with `body-too-large`;
 * - `sendMs`, nginx's `proxy_send_timeout`: the longest time the upstream may leave a body chunk unread
 *   (waiting for the client is the client's timeout, not this one). Watched by one timer per body, armed only
 *   while back-pressure lasts and re-armed lazily, so a steady upload does not create a timer per chunk.
 */
export class RequestBody extends Readable {
  readonly #source: BodySource;
  readonly #limit: number;
  readonly #sendMs: number;
  #received = 0;
  /** performance.now() when the buffer filled up and the upstream stopped reading; -1 while it reads. */
  #blockedSince = -1;
  #timer: NodeJS.Timeout | null = null;

  /** @param limit maximum body bytes, -1 for none */
  constructor(source: IncomingMessage, limit: number, sendMs: number) {
    super();
    this.#source = source;
    this.#limit = limit;
    this.#sendMs = sendMs;
    this.#source[kBody] = this;
    source.on('data', onSourceData);
    source.on('end', onSourceEnd);
    source.on('close', onSourceClose);
  }

  /** Body bytes received from the client so far. */
  get received(): number {
    return this.#received;
  }

  override _read(): void {
    this.#blockedSince = -1;
    if (!this.destroyed) this.#source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#detach();
    callback(error);
  }

  /** @internal The client body is complete. */
  sourceEnded(): void {
    this.#detach();
    this.push(null);
  }

  #detach(): void {
    const source = this.#source;
    source.removeListener('data', onSourceData);
    source.removeListener('end', onSourceEnd);
    source.removeListener('close', onSourceClose);
    source[kBody] = undefined;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** @internal A chunk from the client (called by the shared source listener). */
  accept(chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#limit >= 0 && this.#received > this.#limit) {
      this.#source.pause();
      this.destroy(new GatewayError('body-too-large', `request body exceeds ${this.#limit} bytes`));
      return;
    }
    if (this.push(chunk)) return;
    this.#source.pause();
    this.#blockedSince = performance.now();
    if (this.#timer === null && this.#sendMs > 0) this.#timer = setTimeout(onSendTimer, this.#sendMs, this);
  }

  /** @internal The send timer fired. */
  checkSend(): void {
    this.#timer = null;
    if (this.#blockedSince < 0 || this.destroyed) return;
    const left = this.#sendMs - (performance.now() - this.#blockedSince);
    if (left > 0) {
      this.#timer = setTimeout(onSendTimer, left, this);
      return;
    }
    this.destroy(
      new GatewayError('upstream-timeout', `upstream did not read the request body for ${this.#sendMs} ms`),
    );
  }
}

function onSourceData(this: BodySource, chunk: Buffer): void {
  this[kBody]?.accept(chunk);
}

function onSourceEnd(this: BodySource): void {
  this[kBody]?.sourceEnded();
}

/** 'close' before 'end': the client went away mid-body. */
function onSourceClose(this: BodySource): void {
  this[kBody]?.destroy(
    new GatewayError('client-aborted', 'client closed the connection during the request body'),
  );
}

function onSendTimer(body: RequestBody): void {
  body.checkSend();
}
