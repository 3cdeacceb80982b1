/**
 * Shared pieces of the entry point tests: a small real request handler, a logger that keeps its lines, connection
 * counting metrics, raw socket exchanges and tables with certificates.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import type { Certificate } from '../../../src/ir/types.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import type { RequestMetrics } from '../../../src/observability/request-metrics.js';
import { EntryPoint, type EntryPointOptions, type RequestHandler } from '../../../src/proxy/entry-point.js';
import { compile } from '../../../src/runtime/compile.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';
import type { RuntimeTable } from '../../../src/runtime/table.js';
import { waitUntil } from '../../support/wait.js';

/** A promise the test resolves when it chooses. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;

  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.open = resolve;
    });
  }
}

/**
 * Reads the whole body, then answers `200 <method> <host> <path> <body bytes>`. `/slow` answers only once `gate`
 * opens; `/stream` sends its head at once and its body once `gate` opens; `/throw` throws. An upgrade is accepted
 * with 101 and the socket kept open (echoing) until someone closes it.
 */
export class EchoHandler implements RequestHandler {
  gate = new Gate();
  /** Requests whose head reached the handler, in order, as `METHOD path`. */
  readonly seen: string[] = [];
  /** Resolved when a request has reached the handler; replaced after each. */
  #arrived = new Gate();

  /** Resolves once the next request (or one that already arrived since the last call) reaches the handler. */
  nextArrival(): Promise<void> {
    return this.#arrived.promise;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.seen.push(`${req.method} ${req.url}`);
    this.#arrived.open();
    this.#arrived = new Gate();
    if (req.url === '/throw') throw new Error('handler bug');
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      void this.gate.promise.then(() => res.end('streamed\n'));
      req.resume();
      return;
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const body = `${req.method} ${req.headers.host} ${req.url} ${bytes}\n`;
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (req.url === '/slow') void this.gate.promise.then(answer);
      else answer();
    });
  }

  upgrade(_req: IncomingMessage, socket: Duplex, _head: Buffer): void {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  }
}

/** Open connections per entry point, as the gauge behind `connectionChanged` would show them. */
export class ConnectionCounter implements RequestMetrics {
  readonly open = new Map<string, number>();
  accepted = 0;

  requestFinished(): void {}

  connectionChanged(entryPoint: string, delta: 1 | -1): void {
    if (delta === 1) this.accepted++;
    this.open.set(entryPoint, (this.open.get(entryPoint) ?? 0) + delta);
  }

  openOn(entryPoint: string): number {
    return this.open.get(entryPoint) ?? 0;
  }
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A JSON logger at debug level whose parsed lines land in `lines`. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', destination }), lines };
}

export interface Harness {
  readonly entryPoint: EntryPoint;
  readonly port: number;
  readonly handler: EchoHandler;
  readonly holder: SnapshotHolder;
  readonly metrics: ConnectionCounter;
  readonly lines: LogLine[];
  readonly abort: AbortController;
}

/** Starts an entry point on 127.0.0.1, port 0, with the echo handler; the caller closes it. */
export async function startEntryPoint(
  overrides: Partial<EntryPointOptions> = {},
  holder = new SnapshotHolder(),
): Promise<Harness> {
  const handler = new EchoHandler();
  const metrics = new ConnectionCounter();
  const { logger, lines } = recordingLogger();
  const entryPoint = new EntryPoint(
    {
      name: 'web',
      host: '127.0.0.1',
      port: 0,
      protocol: 'http',
      maxHeaderSize: 16_384,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 30_000,
      ...overrides,
    },
    { handler, holder, metrics, logger },
  );
  const abort = new AbortController();
  await entryPoint.start(abort.signal);
  const address = entryPoint.address();
  if (!address) throw new Error('entry point did not bind');
  return { entryPoint, port: address.port, handler, holder, metrics, lines, abort };
}

/** The result of writing raw bytes: everything the server sent until it closed the connection. */
export interface RawExchange {
  readonly text: string;
  /** True when the server closed the connection (rather than the wait running out). */
  readonly closedByServer: boolean;
}

/**
 * Writes `bytes` on a fresh TCP connection and collects the answer until the server closes the connection, or until
 * `timeoutMs` passes (then `closedByServer` is false and the socket is destroyed).
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawExchange> {
  return new Promise<RawExchange>((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closedByServer = true;
    const timer = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer (the server destroys the socket) still ends the exchange.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    });
    socket.write(bytes);
  });
}

/**
 * A client TCP connection kept open across several exchanges: what the server sent so far, and when it closed.
 * The socket stays referenced, so a test awaiting it keeps the process alive (an agent's idle sockets do not).
 */
export class RawConnection {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  text = '';

  constructor(port: number) {
    this.socket = netConnect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Writes `bytes`, then waits (bounded) until the received text satisfies `done`. */
  async exchange(bytes: string, done: (text: string) => boolean, what: string): Promise<string> {
    this.socket.write(bytes);
    await waitUntil(() => done(this.text), { timeoutMs: 5_000, what });
    return this.text;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The status code of the first response in a raw answer, or 0. */
export function firstStatus(text: string): number {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : 0;
}

/** Every status line in a raw answer, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

export function certificate(
  name: string,
  hosts: readonly string[],
  pems: { certPem: string; keyPem: string },
): Certificate {
  return { name, source: { kind: 'Secret', namespace: 'default', name }, hosts, ...pems };
}

const state = new EndpointStateRegistry();
let version = 0;

/** A table with no routes and the given certificates. */
export function tableWith(certificates: readonly Certificate[]): RuntimeTable {
  version++;
  return compile({ virtualHosts: [], backends: [], certificates }, [], { version, state });
}
