/**
 * Real upstream servers for the e2e suite, each on 127.0.0.1 with an ephemeral port: an echo server, a slow server,
 * a WebSocket echo server and a port nobody listens on. Every server records what it received and closes its
 * connections on `close()`, so a test never waits for a keep-alive timeout.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export const UPSTREAM_HOST = '127.0.0.1';

/** What an upstream saw of one request. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** The JSON body the echo server answers with. */
export interface EchoBody extends ReceivedRequest {
  /** The upstream's name, to tell which endpoint answered. */
  readonly name: string;
  /** Bytes of request body received. */
  readonly bodyLength: number;
}

export interface Upstream {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Every request received so far, in arrival order (WebSocket upgrades included). */
  readonly received: readonly ReceivedRequest[];
  close(): Promise<void>;
}

/** Answers every request with `EchoBody` as JSON, after reading the whole request body. */
export function startEchoUpstream(name: string): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    received.push(record(req));
    let bodyLength = 0;
    req.on('data', (chunk: Buffer) => {
      bodyLength += chunk.length;
    });
    req.on('end', () => {
      const body: EchoBody = {
        name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bodyLength,
      };
      sendJson(res, 200, body);
    });
  });
  return listen(server, name, received, () => undefined);
}

export interface SlowUpstreamOptions {
  readonly name: string;
  /** Answer after this many milliseconds; null never answers (the connection stays open until `close()`). */
  readonly delayMs: number | null;
}

/** Answers `{name, url}` after `delayMs`, or never. */
export function startSlowUpstream(options: SlowUpstreamOptions): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    received.push(record(req));
    req.resume();
    if (options.delayMs === null) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      sendJson(res, 200, { name: options.name, url: req.url ?? '' });
    }, options.delayMs);
    timers.add(timer);
  });
  return listen(server, options.name, received, () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });
}

/**
 * A WebSocket server that sends every message back as it came (text stays text, binary stays binary). Plain HTTP
 * requests get the echo body, so the same upstream can also serve an ordinary route.
 */
export function startWebSocketEchoUpstream(name: string): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    received.push(record(req));
    req.resume();
    req.on('end', () =>
      sendJson(res, 200, { name, method: req.method ?? '', url: req.url ?? '', headers: req.headers }),
    );
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    received.push(record(req));
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return listen(server, name, received, () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
}

/** A port that was just bound and released on 127.0.0.1: connecting to it is refused (ECONNREFUSED). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, UPSTREAM_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function record(req: IncomingMessage): ReceivedRequest {
  return { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function listen(
  server: Server,
  name: string,
  received: ReceivedRequest[],
  beforeClose: () => void,
): Promise<Upstream> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, UPSTREAM_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  return {
    name,
    host: UPSTREAM_HOST,
    port,
    received,
    close() {
      closed ??= new Promise<void>((resolve) => {
        beforeClose();
        server.close(() => resolve());
        // Keep-alive connections from the gateway's pools would otherwise hold the close open.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
