import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError } from '../core/errors.js';

const kBody = Symbol('tidegate.requestBody');

/** The client request, carrying its body so that shared (non-closure) listeners can find it. */
type BodySource = IncomingMessage & { [kBody]?: RequestBody };

/**
 * The client's request body, relayed to the upstream tries of one request. Each try reads its own stream
 * (`open`), an adapter rather than the IncomingMessage itself, because undici destroys its body on any error —
 * which would destroy the client socket before a 413 or 502 could be sent. Chunks are relayed with back-pressure:
 * the client request is paused when the try's buffer is full and resumed when undici reads again (undici itself
 * pauses its reading while the upstream socket does not drain).
 *
 * Replay (Envoy's and Traefik's buffered retries): while the body stays within `replayBytes`, every chunk is also
 * kept, so a retry's stream starts with what the client already sent and then continues with the rest as it
 * arrives. A body that grows beyond the bound drops what was kept and can no longer be replayed (`replayable`),
 * which disables retries for that request; the try in progress streams on unaffected.
 *
 * It enforces two limits while streaming:
 * - `limit` bytes (`route.maxBodyBytes`), for bodies without a Content-Length: exceeding it fails the upstream
 *   request with `body-too-large`;
 * - `sendMs`, nginx's `proxy_send_timeout`: the longest time the upstream may leave a body chunk unread
 *   (waiting for the client is the client's timeout, not this one). Watched by one timer per body, armed only
 *   while back-pressure lasts and re-armed lazily, so a steady upload does not create a timer per chunk.
 */
export class RequestBody {
  readonly #source: BodySource;
  readonly #limit: number;
  readonly #sendMs: number;
  readonly #replayBytes: number;
  #received = 0;
  /** The chunks received so far while they fit in `replayBytes`; null once replay is impossible. */
  #kept: Buffer[] | null;
  #ended = false;
  /** Why the body cannot be sent any more (too large, client gone); a later try's stream fails with it. */
  #error: Error | null = null;
  /** The stream of the try in progress; null between tries. */
  #sink: TryBody | null = null;
  /** performance.now() when the try's buffer filled up and the upstream stopped reading; -1 while it reads. */
  #blockedSince = -1;
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param limit maximum body bytes, -1 for none
   * @param replayBytes largest body kept for retries; 0 keeps nothing (the request is never retried)
   */
  constructor(source: IncomingMessage, limit: number, sendMs: number, replayBytes: number) {
    this.#source = source;
    this.#limit = limit;
    this.#sendMs = sendMs;
    this.#replayBytes = replayBytes;
    this.#kept = replayBytes > 0 ? [] : null;
    this.#source[kBody] = this;
    source.on('data', onSourceData);
    source.on('end', onSourceEnd);
    source.on('close', onSourceClose);
  }

  /** Body bytes received from the client so far. */
  get received(): number {
    return this.#received;
  }

  /** Whether a new try can send the whole body again: everything received so far was kept. */
  get replayable(): boolean {
    return this.#kept !== null;
  }

  /**
   * The body stream of the next try: the kept chunks, then the rest as it arrives. The first try's stream, or
   * a retry's while `replayable`.
   */
  open(): Readable {
    this.suspend();
    const sink = new TryBody(this);
    this.#sink = sink;
    if (this.#error !== null) sink.destroy(this.#error);
    else if (this.#kept !== null) for (const chunk of this.#kept) sink.push(chunk);
    if (this.#ended) sink.push(null);
    return sink;
  }

  /** The try in progress is abandoned (a retry follows): its stream ends; what arrives meanwhile is kept. */
  suspend(): void {
    const sink = this.#sink;
    if (sink === null) return;
    this.#sink = null;
    this.#unblock();
    sink.destroy();
  }

  /** The exchange is over: stop listening to the client and end the try's stream (with `error` if given). */
  destroy(error?: Error): void {
    this.#error ??= error ?? null;
    this.#detach();
    this.#kept = null;
    const sink = this.#sink;
    this.#sink = null;
    sink?.destroy(error);
  }

  /** @internal A try's stream wants data. */
  pull(sink: TryBody): void {
    if (sink !== this.#sink) return;
    this.#blockedSince = -1;
    if (!this.#ended) this.#source.resume();
  }

  /** @internal A try's stream was destroyed (by undici, or by us). */
  sinkClosed(sink: TryBody): void {
    if (sink !== this.#sink) return;
    this.#sink = null;
    this.#unblock();
  }

  /** @internal The client body is complete. */
  sourceEnded(): void {
    this.#ended = true;
    this.#detach();
    this.#sink?.push(null);
  }

  /** @internal The client went away mid-body. */
  sourceClosed(): void {
    this.destroy(new GatewayError('client-aborted', 'client closed the connection during the request body'));
  }

  /** @internal A chunk from the client (called by the shared source listener). */
  accept(chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#limit >= 0 && this.#received > this.#limit) {
      this.#source.pause();
      this.destroy(new GatewayError('body-too-large', `request body exceeds ${this.#limit} bytes`));
      return;
    }
    const sink = this.#sink;
    const kept = this.#kept;
    // Between tries nothing reads, and the client is paused after this chunk: keep it whatever its size, for
    // a retry was already decided on the body being replayable.
    if (kept !== null) {
      if (sink === null || this.#received <= this.#replayBytes) kept.push(chunk);
      else this.#kept = null;
    }
    if (sink === null) {
      this.#source.pause();
      return;
    }
    if (sink.push(chunk)) return;
    this.#source.pause();
    this.#blockedSince = performance.now();
    if (this.#timer === null && this.#sendMs > 0) this.#timer = setTimeout(onSendTimer, this.#sendMs, this);
  }

  /** @internal The send timer fired. */
  checkSend(): void {
    this.#timer = null;
    const sink = this.#sink;
    if (this.#blockedSince < 0 || sink === null) return;
    const left = this.#sendMs - (performance.now() - this.#blockedSince);
    if (left > 0) {
      this.#timer = setTimeout(onSendTimer, left, this);
      return;
    }
    sink.destroy(
      new GatewayError('upstream-timeout', `upstream did not read the request body for ${this.#sendMs} ms`),
    );
  }

  #unblock(): void {
    this.#blockedSince = -1;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #detach(): void {
    const source = this.#source;
    source.removeListener('data', onSourceData);
    source.removeListener('end', onSourceEnd);
    source.removeListener('close', onSourceClose);
    source[kBody] = undefined;
    this.#unblock();
  }
}

/** One try's view of the body: what undici reads. */
class TryBody extends Readable {
  readonly #body: RequestBody;

  constructor(body: RequestBody) {
    super();
    this.#body = body;
  }

  override _read(): void {
    this.#body.pull(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#body.sinkClosed(this);
    callback(error);
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
  this[kBody]?.sourceClosed();
}

function onSendTimer(body: RequestBody): void {
  body.checkSend();
}
