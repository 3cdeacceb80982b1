/**
 * The benchmark upstream, run as its own process: `node dist/bench/upstream.js <port>`. Answers every GET with a
 * fixed body — 16 KiB for paths starting with `/16k`, 64 B otherwise — and keeps connections alive.
 */
import { createServer } from 'node:http';

/** Request path of the 64-byte response. */
export const SMALL_PATH = '/small';
/** Request path of the 16 KiB response. */
export const LARGE_PATH = '/16k';

const small = Buffer.alloc(64, 'a');
const large = Buffer.alloc(16 * 1024, 'b');
const smallHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(small.length) };
const largeHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(large.length) };

function main(): void {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error('usage: upstream.js <port>');
  const server = createServer((req, res) => {
    const isLarge = req.url?.startsWith(LARGE_PATH) === true;
    res.writeHead(200, isLarge ? largeHeaders : smallHeaders);
    res.end(isLarge ? large : small);
  });
  // Proxies keep pooled connections idle between runs; do not let the upstream close them under their feet.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.listen(port, '127.0.0.1');
}

if (process.argv[1]?.endsWith('upstream.js')) main();
