import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Runner } from '../core/lifecycle.js';
import { boundAddress, closeServer, listen } from '../core/listening.js';

export interface WhoamiOptions {
  /** Printed as `Name:`; tells load-balancing demos which backend answered. */
  readonly name: string;
  readonly host: string;
  /** 0 for an ephemeral port; see `address()`. */
  readonly port: number;
}

/** What a whoami answer reports; the JSON form as it is, the text form line by line. */
export interface WhoamiReport {
  readonly name: string;
  readonly hostname: string;
  /** The local address the request arrived on. */
  readonly ip: string;
  readonly localPort: number;
  /** `address:port` of the client (the gateway, when proxied). */
  readonly remoteAddr: string;
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly host: string;
  /** In received order, names as sent; repeated names keep every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Request body bytes received (and discarded). */
  readonly bodyBytes: number;
}

/** `?wait=` above this is clamped: a demo backend must not hold sockets for minutes. */
const MAX_WAIT_MS = 30_000;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };

/**
 * A small echo backend in the manner of traefik/whoami: answers any request with its name, the host name, the
 * addresses and the request it received (text, or JSON when `Accept` asks for `application/json`, the path is
 * `/api` or the query has `format=json`). Knobs: `?wait=100ms` delays the answer (at most 30 s),
 * `?status=503` sets the status; `/health` answers 200.
 */
export class WhoamiServer implements Runner {
  readonly name: string;
  readonly #options: WhoamiOptions;
  readonly #hostname = hostname();
  readonly #waits = new Set<NodeJS.Timeout>();
  #server: Server | null = null;

  constructor(options: WhoamiOptions) {
    this.#options = options;
    this.name = `whoami/${options.name}`;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#server) return;
    const server = createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    await listen(server, this.#options.host, this.#options.port);
  }

  /** The bound address once listening (the real port when started with port 0), else null. */
  address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    for (const timer of this.#waits) clearTimeout(timer);
    this.#waits.clear();
    await closeServer(server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => this.#answer(req, res, bodyBytes));
    req.on('error', () => res.destroy());
  }

  #answer(req: IncomingMessage, res: ServerResponse, bodyBytes: number): void {
    const url = new URL(req.url ?? '/', 'http://whoami.invalid');
    if (url.pathname === '/health') {
      reply(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }
    const status = parseStatus(url.searchParams.get('status'));
    const wait = parseWait(url.searchParams.get('wait'));
    if (status === null || wait === null) {
      reply(
        res,
        400,
        'text/plain; charset=utf-8',
        'bad knob: status takes 200-599, wait takes e.g. 100ms, 2s\n',
      );
      return;
    }
    const report = this.#report(req, bodyBytes);
    const json =
      url.pathname === '/api' ||
      url.searchParams.get('format') === 'json' ||
      (req.headers.accept ?? '').includes('application/json');
    const send = (): void => {
      if (json) reply(res, status, 'application/json; charset=utf-8', `${JSON.stringify(report)}\n`);
      else reply(res, status, 'text/plain; charset=utf-8', formatText(report));
    };
    if (wait === 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.#waits.delete(timer);
      send();
    }, wait);
    this.#waits.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      this.#waits.delete(timer);
    });
  }

  #report(req: IncomingMessage, bodyBytes: number): WhoamiReport {
    const headers: Record<string, string[]> = {};
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      const values = headers[name];
      if (values) values.push(value);
      else headers[name] = [value];
    }
    const socket = req.socket;
    return {
      name: this.#options.name,
      hostname: this.#hostname,
      ip: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddr: joinHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0),
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      host: req.headers.host ?? '',
      headers,
      bodyBytes,
    };
  }
}

/** traefik/whoami's text layout, then the body size after a blank line (where whoami would echo the body). */
function formatText(report: WhoamiReport): string {
  let out = `Name: ${report.name}\nHostname: ${report.hostname}\nIP: ${report.ip}\nRemoteAddr: ${report.remoteAddr}\n`;
  out += `${report.method} ${report.url} HTTP/${report.httpVersion}\n`;
  for (const name in report.headers)
    for (const value of report.headers[name] ?? []) out += `${name}: ${value}\n`;
  return `${out}\nBodyBytes: ${report.bodyBytes}\n`;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Absent → 200; invalid → null. 1xx is refused: an interim response cannot carry this answer. */
function parseStatus(value: string | null): number | null {
  if (value === null) return 200;
  const status = Number(value);
  return Number.isInteger(status) && status >= 200 && status <= 599 ? status : null;
}

/** Absent → 0; `100ms`, `2s`, `1.5s`, `1m`, or bare milliseconds; clamped to 30 s; invalid → null. */
function parseWait(value: string | null): number | null {
  if (value === null) return 0;
  const match = DURATION.exec(value);
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
  return Math.min(ms, MAX_WAIT_MS);
}

function joinHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
