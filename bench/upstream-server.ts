/**
 * The upstream every proxy forwards to: nginx serving two static files when nginx is installed, else the Node.js
 * server of upstream.ts. It shares one CPU with the load generator, so its cost per request caps what any proxy
 * can show: nginx answers for a fraction of Node's CPU, which leaves the proxy, not the load side, setting the
 * pace. It listens on one port of each given loopback address, so a single process serves as up to 1000
 * endpoints (127.0.x.y) without listening on every interface.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { executable, nginxConfig, nginxVersion } from './nginx.js';
import { type Child, freePort, startChild, waitForStatus, whenReady } from './process.js';
import { LARGE_BYTES, LARGE_PATH, SMALL_BYTES, SMALL_PATH } from './upstream.js';

/** The program serving as the upstream. */
export type UpstreamKind = 'nginx' | 'node';

/** What {@link startUpstream} needs. */
export interface UpstreamOptions {
  readonly kind: UpstreamKind;
  /** A fresh directory for generated configuration and files. */
  readonly workDir: string;
  /** The loopback addresses to listen on, all on one port ({@link loopbackAddresses}). */
  readonly addresses: readonly string[];
  /** taskset CPU list, if pinning. */
  readonly cpus: string | undefined;
}

/** A started upstream. */
export interface RunningUpstream {
  readonly child: Child;
  readonly port: number;
  /** One line for the machine facts. */
  readonly description: string;
}

/** upstream.ts as built, next to this module. */
const NODE_UPSTREAM_SCRIPT = fileURLToPath(new URL('./upstream.js', import.meta.url));

/** Addresses per third octet: the last octet runs 1..250, clear of .0 and .255 that look like network/broadcast. */
const HOSTS_PER_BLOCK = 250;

/**
 * `count` distinct loopback addresses, 127.0.0.1 first: 127.0.0.1..127.0.0.250, 127.0.1.1, ... Linux routes all of
 * 127.0.0.0/8 to the loopback interface, so each can be bound and connected to without configuration.
 */
export function loopbackAddresses(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `127.0.${Math.floor(i / HOSTS_PER_BLOCK)}.${(i % HOSTS_PER_BLOCK) + 1}`,
  );
}

/** The body of the upstream's `http` block: one server on every address, two static files. */
function upstreamHttp(dir: string, port: number, addresses: readonly string[]): string {
  const listens = addresses.map((address) => `    listen ${address}:${port};`).join('\n');
  // Like upstream.ts: /16k... answers 16 KiB, every other path 64 B. open_file_cache keeps both files open, so
  // a request costs no open(2).
  return `  default_type application/octet-stream;
  etag off;
  open_file_cache max=16;
  server {
${listens}
    root ${join(dir, 'www')};
    location ${LARGE_PATH} { try_files ${LARGE_PATH} =404; }
    location / { try_files ${SMALL_PATH} =404; }
  }
`;
}

async function startNginx(options: UpstreamOptions, port: number): Promise<Child> {
  const www = join(options.workDir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, SMALL_PATH.slice(1)), Buffer.alloc(SMALL_BYTES, 'a'));
  writeFileSync(join(www, LARGE_PATH.slice(1)), Buffer.alloc(LARGE_BYTES, 'b'));
  const config = join(options.workDir, 'upstream-nginx.conf');
  // 1000 endpoints keep ~1000 pooled connections open, beside the other peers' and the load's.
  writeFileSync(
    config,
    nginxConfig(options.workDir, 8192, upstreamHttp(options.workDir, port, options.addresses)),
  );
  return startChild(
    'upstream',
    executable('nginx'),
    ['-p', options.workDir, '-e', join(options.workDir, 'error.log'), '-c', config],
    { cpus: options.cpus },
  );
}

/** Starts the upstream; resolves once every address answers. */
export async function startUpstream(options: UpstreamOptions): Promise<RunningUpstream> {
  const port = await freePort();
  const child =
    options.kind === 'nginx'
      ? await startNginx(options, port)
      : startChild(
          'upstream',
          process.execPath,
          [NODE_UPSTREAM_SCRIPT, String(port), options.addresses.join(',')],
          { cpus: options.cpus },
        );
  await whenReady(child, async () => {
    for (const address of options.addresses)
      await waitForStatus(`http://${address}:${port}${SMALL_PATH}`, 200, child);
  });
  const program =
    options.kind === 'nginx' ? `nginx ${nginxVersion()} (one worker, static files)` : 'one Node.js process';
  const where =
    options.addresses.length === 1 ? options.addresses[0] : `${options.addresses.length} loopback addresses`;
  return {
    child,
    port,
    description: `${program} on ${where}, port ${port} (${SMALL_PATH}: ${SMALL_BYTES} B, ${LARGE_PATH}: ${LARGE_BYTES / 1024} KiB), keep-alive`,
  };
}
