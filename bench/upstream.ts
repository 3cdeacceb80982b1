/**
 * The Node.js benchmark upstream, run as its own process: `node dist/bench/upstream.js <port> <address,...>`.
 * Answers every GET with a fixed body — 16 KiB for paths starting with `/16k`, 64 B otherwise — keeps connections
 * alive, and listens on `<port>` of every given loopback address (127.0.0.1 when none), so that one process can be
 * the 1000 endpoints of the policy table without listening on every interface.
 */
import { createServer, type RequestListener } from 'node:http';

/** Request path of the 64-byte response. */
export const SMALL_PATH = '/small';
/** Request path of the 16 KiB response. */
export const LARGE_PATH = '/16k';
/** Size of the small response body, bytes. */
export const SMALL_BYTES = 64;
/** Size of the large response body, bytes. */
export const LARGE_BYTES = 16 * 1024;

const small = Buffer.alloc(SMALL_BYTES, 'a');
const large = Buffer.alloc(LARGE_BYTES, 'b');
const smallHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(small.length) };
const largeHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(large.length) };

const answer: RequestListener = (req, res) => {
  const isLarge = req.url?.startsWith(LARGE_PATH) === true;
  res.writeHead(200, isLarge ? largeHeaders : smallHeaders);
  res.end(isLarge ? large : small);
};

function main(): void {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error('usage: upstream.js <port> [address,...]');
  const addresses = (process.argv[3] ?? '127.0.0.1').split(',');
  for (const address of addresses) {
    const server = createServer(answer);
    // Proxies keep pooled connections idle between runs; do not let the upstream close them under their feet.
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 125_000;
    server.listen(port, address);
  }
}

if (process.argv[1]?.endsWith('upstream.js')) main();
