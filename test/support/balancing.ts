/**
 * Helpers of the balancing, affinity and health e2e files: a request from a chosen source address (127.0.0.x),
 * an upstream whose answers the test switches at run time, and manifest tweaks.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanups } from './cleanups.js';
import type { Manifest } from './manifests.js';
import type { Upstream } from './upstreams.js';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The `name` of the upstream that answered (JSON body), or '' for the gateway's own answers. */
  readonly name: string;
}

/** GET `path` on `host` through `baseUrl`, from `localAddress` when given; bounded by 5 s. */
export function get(
  baseUrl: string,
  host: string,
  path: string,
  options: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, {
      headers: { host, ...options.headers },
      agent: false,
      localAddress: options.localAddress,
      timeout: 5_000,
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let name = '';
        try {
          name = (JSON.parse(body) as { name?: string }).name ?? '';
        } catch {
          // The gateway's own error answers are text.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, name });
      });
    });
    req.end();
  });
}

/** Counts answers by upstream name. */
export function countBy(answers: readonly Answer[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(answer.name, (counts.get(answer.name) ?? 0) + 1);
  return counts;
}

/** What a switchable upstream answers: its status for `/` and for the health path, and a delay. */
export interface Behaviour {
  status: number;
  healthStatus: number;
  delayMs: number;
}

export interface SwitchableUpstream extends Upstream {
  readonly behaviour: Behaviour;
  /** Requests to paths other than `/healthz`. */
  served: number;
}

/** An upstream answering `{name}` with the status and delay the test sets; `/healthz` answers `healthStatus`. */
export async function startSwitchableUpstream(name: string): Promise<SwitchableUpstream> {
  const behaviour: Behaviour = { status: 200, healthStatus: 200, delayMs: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/healthz') {
      res.writeHead(behaviour.healthStatus, { 'content-length': '0' });
      res.end();
      return;
    }
    upstream.served++;
    const answer = (): void => {
      const body = JSON.stringify({ name });
      res.writeHead(behaviour.status, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (behaviour.delayMs === 0) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, behaviour.delayMs);
    timers.add(timer);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const upstream: SwitchableUpstream = {
    name,
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    received: [],
    behaviour,
    served: 0,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return upstream;
}

/** Adds annotations to the manifest (a Service or an EndpointSlice). */
export function annotate(manifest: Manifest, annotations: Readonly<Record<string, string>>): Manifest {
  const metadata = manifest.metadata;
  return {
    ...manifest,
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations as object | undefined), ...annotations },
    },
  };
}

/** Merges `spec` fields into a Service manifest. */
export function withSpec(manifest: Manifest, spec: Readonly<Record<string, unknown>>): Manifest {
  return { ...manifest, spec: { ...(manifest.spec as object), ...spec } };
}

/** Starts one switchable upstream per name, each closed by `cleanups`. */
export async function startSwitchableUpstreams(
  cleanups: Cleanups,
  names: readonly string[],
): Promise<SwitchableUpstream[]> {
  const out: SwitchableUpstream[] = [];
  for (const name of names) {
    const upstream = await startSwitchableUpstream(name);
    cleanups.after(() => upstream.close());
    out.push(upstream);
  }
  return out;
}
