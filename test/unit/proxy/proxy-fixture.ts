/**
 * Shared pieces of the proxy handler tests: hand-written IR compiled into a real table, a real `http.Server`
 * wired to a `ProxyHandler`, real upstream servers on 127.0.0.1, a recording `RequestMetrics` and a small client.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import { backendName, endpointName } from '../../../src/ir/names.js';
import type { Backend, IR, Route, RoutePolicy, VirtualHost } from '../../../src/ir/types.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { RequestMetrics } from '../../../src/observability/request-metrics.js';
import { DnsCache } from '../../../src/proxy/dns-cache.js';
import { ProxyHandler, type ProxyHandlerOptions } from '../../../src/proxy/proxy-handler.js';
import { UpstreamPools } from '../../../src/proxy/upstream-pools.js';
import { compile } from '../../../src/runtime/compile.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';
import { withTimeout } from '../../support/wait.js';

const SOURCE = { kind: 'Ingress', namespace: 'default', name: 'test' };

export const DEFAULT_POLICY: RoutePolicy = {
  rewrite: null,
  httpsRedirect: null,
  maxBodyBytes: null,
  timeouts: { connectMs: 2_000, readMs: 10_000, sendMs: 10_000 },
  upstreamProtocol: 'http',
};

/** A service backend `backend/default/<service>/80` with one endpoint per port (or address:port). */
export function backend(
  service: string,
  ports: readonly number[],
  options: { kind?: Backend['kind']; address?: string } = {},
): Backend {
  const name = backendName('default', service, 80);
  const address = options.address ?? '127.0.0.1';
  return {
    name,
    source: { kind: 'Service', namespace: 'default', name: service },
    kind: options.kind ?? 'service',
    endpoints: ports.map((port) => ({
      name: endpointName(name, address, port),
      address,
      port,
      ready: true,
      serving: true,
      terminating: false,
      weight: 1,
    })),
    loadBalancer: { type: 'round_robin' },
  };
}

/** A Prefix route to `target` (a backend) or an invalid route (a status). */
export function route(
  name: string,
  prefix: string,
  target: Backend | { readonly invalidStatus: number },
  policy: Partial<RoutePolicy> = {},
): Route {
  return {
    name: `ingress/default/test/rule/0/path/${name}`,
    source: SOURCE,
    match: { type: 'Prefix', path: prefix },
    action:
      'invalidStatus' in target
        ? {
            type: 'invalid',
            reason: 'BackendNotFound',
            message: 'no such service',
            status: target.invalidStatus,
          }
        : { type: 'forward', backend: target.name },
    policy: { ...DEFAULT_POLICY, ...policy },
  };
}

export function vhost(hostname: string, routes: readonly Route[]): VirtualHost {
  return { name: `vhost/${hostname}`, hostname, routes };
}

export function ir(virtualHosts: readonly VirtualHost[], backends: readonly Backend[]): IR {
  return {
    virtualHosts,
    backends: [...backends].sort((a, b) => a.name.localeCompare(b.name)),
    certificates: [],
  };
}

/** One `requestFinished` call. */
export interface FinishedRequest {
  readonly entryPoint: string;
  readonly route: string;
  readonly backend: string;
  readonly method: string;
  readonly status: number;
}

export class RecordingMetrics implements RequestMetrics {
  readonly finished: FinishedRequest[] = [];

  requestFinished(entryPoint: string, route: string, backend: string, method: string, status: number): void {
    this.finished.push({ entryPoint, route, backend, method, status });
  }

  connectionChanged(): void {}
}

/** A real server on 127.0.0.1:0 that tracks its sockets, so `close` never waits for keep-alive timeouts. */
export class TestServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  /** Connections accepted so far. */
  connections = 0;

  constructor(listener: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(listener);
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await withTimeout(
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      5_000,
      'test server to close',
    );
  }
}

/** A `ProxyHandler` behind a real server, over a table compiled from `ir`. */
export class TestProxy extends TestServer {
  readonly holder = new SnapshotHolder();
  readonly pools = new UpstreamPools();
  readonly metrics = new RecordingMetrics();
  readonly handler: ProxyHandler;

  constructor(table: IR | null, options: Partial<ProxyHandlerOptions> = {}, dns: DnsCache = new DnsCache()) {
    let handler: ProxyHandler | null = null;
    super((req, res) => (handler as ProxyHandler).handle(req, res));
    handler = new ProxyHandler(
      { entryPoint: 'web', secure: false, trustedProxies: [], httpsPort: null, ...options },
      {
        holder: this.holder,
        pools: this.pools,
        metrics: this.metrics,
        logger: createLogger({ level: 'silent', format: 'json' }),
        dns,
      },
    );
    this.handler = handler;
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) =>
      handler.upgrade(req, socket, head),
    );
    if (table !== null)
      this.holder.swap(compile(table, [], { version: 1, state: new EndpointStateRegistry() }));
  }

  override async close(): Promise<void> {
    await super.close();
    await this.pools.close();
  }
}

/** A response read whole. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** One request on a fresh connection, the response read whole; bounded by 10 s. */
export function fetchText(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<TestResponse> {
  const exchange = new Promise<TestResponse>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
  return withTimeout(exchange, 10_000, `response to ${path}`);
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = new TestServer(() => {});
  const port = await server.listen();
  await server.close();
  return port;
}

/** Upstream that answers JSON describing what it received, tagged with `name`. */
export function echoUpstream(name: string): TestServer {
  return new TestServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, bytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

/** The parsed body of an `echoUpstream` answer. */
export interface Echo {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | undefined>;
  readonly bytes: number;
}

export function echo(response: TestResponse): Echo {
  return JSON.parse(response.body) as Echo;
}
