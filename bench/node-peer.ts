/**
 * The Node.js peers, each run as its own process: `node dist/bench/node-peer.js <kind> <port> <upstreamPort>`.
 * Every kind forwards all requests to the upstream and adds X-Forwarded-For, like the other peers.
 */

import { Agent, createServer } from 'node:http';
import type { FastifyReplyFromHooks } from '@fastify/reply-from';
import httpProxy from 'http-proxy';

/** The proxies this script can run. */
export const NODE_PEER_KINDS = ['http-proxy', 'http-proxy-keepalive', 'fastify'] as const;
/** One of {@link NODE_PEER_KINDS}. */
export type NodePeerKind = (typeof NODE_PEER_KINDS)[number];

function startHttpProxy(port: number, target: string, keepAlive: boolean): void {
  // Without an agent http-proxy opens one upstream connection per request and sends `Connection: close`:
  // that is its default and how it is most often deployed.
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 256 }) : undefined;
  const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });
  proxy.on('error', (_error, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502);
    res.end();
  });
  createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
}

/**
 * Per-reply hooks for fastify: reply-from takes header rewriting per `reply.from` call, not as a plugin option.
 * One shared object, so the route handler allocates no closure per request.
 */
const fastifyHooks: FastifyReplyFromHooks = {
  rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-forwarded-for': request.ip }),
};

async function startFastify(port: number, target: string): Promise<void> {
  // Loaded on demand: the other kinds must still run when the optional fastify packages are absent.
  const { default: Fastify } = await import('fastify');
  const { default: replyFrom } = await import('@fastify/reply-from');
  const app = Fastify({ logger: false });
  await app.register(replyFrom, {
    base: target,
    undici: { connections: 256, pipelining: 1 },
  });
  app.get('/*', (request, reply) => reply.from(request.url, fastifyHooks));
  await app.listen({ port, host: '127.0.0.1' });
}

async function main(): Promise<void> {
  const [kind, portText, upstreamText] = process.argv.slice(2);
  const port = Number(portText);
  const target = `http://127.0.0.1:${Number(upstreamText)}`;
  switch (kind) {
    case 'http-proxy':
      return startHttpProxy(port, target, false);
    case 'http-proxy-keepalive':
      return startHttpProxy(port, target, true);
    case 'fastify':
      return startFastify(port, target);
    default:
      throw new Error(`usage: node-peer.js <${NODE_PEER_KINDS.join('|')}> <port> <upstreamPort>`);
  }
}

if (process.argv[1]?.endsWith('node-peer.js')) await main();
