/**
 * The proxies under test and how each is configured and started. Every peer runs as one process with one worker
 * (one event loop / one nginx worker / one HAProxy thread), forwards every request to the single upstream over
 * kept-alive connections (except the plain http-proxy row, which shows its default), and adds X-Forwarded-For.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { commandOutput, executable, nginxConfig, nginxVersion } from './nginx.js';
import { type Child, findExecutable, freePort, startChild, waitForPort, whenReady } from './process.js';
import { startTidegate } from './tidegate.js';
import { loopbackAddresses } from './upstream-server.js';

/** What a peer needs to start. */
export interface PeerContext {
  readonly repoRoot: string;
  /** A fresh directory for this peer's generated configuration, pid and log files. */
  readonly workDir: string;
  readonly upstreamPort: number;
  /** The Host header the load generator sends. */
  readonly host: string;
  /** taskset CPU list for the proxy process, if pinning. */
  readonly cpus: string | undefined;
}

/** A started peer: its process and the 127.0.0.1 port it serves on. */
export interface RunningPeer {
  readonly child: Child;
  readonly port: number;
}

/** A proxy under test. */
export interface Peer {
  /** Stable id, used by BENCH_ONLY and in the JSON results. */
  readonly id: string;
  /** Row label in the table. */
  readonly label: string;
  /** Why this peer cannot run on this machine, or undefined when it can. */
  unavailable(repoRoot: string): string | undefined;
  /** Version string for the machine facts. */
  version(repoRoot: string): string;
  start(context: PeerContext): Promise<RunningPeer>;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function resolvable(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

// --- tidegate ------------------------------------------------------------------------------------------------

/** tidegate with the one-endpoint backend every peer has; the policy table starts it with others (policies.ts). */
export const TIDEGATE_PEER: Peer = {
  id: 'tidegate',
  label: 'tidegate',
  unavailable: (repoRoot) =>
    existsSync(join(repoRoot, 'dist/src/cli/main.js')) ? undefined : 'dist/src/cli/main.js is not built',
  version: (repoRoot) => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    return manifest.version;
  },
  start: (context) => startTidegate(context, { addresses: loopbackAddresses(1) }),
};

// --- Node.js peers (bench/node-peer.ts) ----------------------------------------------------------------------

function nodePeer(kind: string, label: string, packageName: string, others: readonly string[] = []): Peer {
  return {
    id: kind,
    label,
    unavailable: () => {
      const missing = [packageName, ...others].filter((name) => !resolvable(name));
      return missing.length === 0 ? undefined : `npm package(s) ${missing.join(', ')} not installed`;
    },
    version: () => `${packageName} ${packageVersion(packageName)}`,
    async start(context) {
      const port = await freePort();
      const script = join(context.repoRoot, 'dist/bench/node-peer.js');
      const child = startChild(
        kind,
        process.execPath,
        [script, kind, String(port), String(context.upstreamPort)],
        {
          cwd: context.repoRoot,
          cpus: context.cpus,
        },
      );
      await whenReady(child, () => waitForPort(port, child));
      return { child, port };
    },
  };
}

// --- nginx ---------------------------------------------------------------------------------------------------

const nginx: Peer = {
  id: 'nginx',
  label: 'nginx',
  unavailable: () => (findExecutable('nginx') ? undefined : 'nginx is not installed'),
  version: nginxVersion,
  async start(context) {
    const port = await freePort();
    const dir = context.workDir;
    const config = join(dir, 'nginx.conf');
    // Upstream keep-alive as for the client side: no pooled connection is recycled during a run.
    writeFileSync(
      config,
      nginxConfig(
        dir,
        4096,
        `  upstream bench {
    server 127.0.0.1:${context.upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    server_name ${context.host};
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
`,
      ),
    );
    const child = startChild(
      'nginx',
      executable('nginx'),
      ['-p', dir, '-e', join(dir, 'error.log'), '-c', config],
      {
        cpus: context.cpus,
      },
    );
    await whenReady(child, () => waitForPort(port, child));
    return { child, port };
  },
};

// --- HAProxy -------------------------------------------------------------------------------------------------

const haproxy: Peer = {
  id: 'haproxy',
  label: 'HAProxy',
  unavailable: () => (findExecutable('haproxy') ? undefined : 'haproxy is not installed'),
  version: () => /version (\S+)/i.exec(commandOutput(executable('haproxy'), ['-v']))?.[1] ?? 'unknown',
  async start(context) {
    const port = await freePort();
    const config = join(context.workDir, 'haproxy.cfg');
    writeFileSync(
      config,
      `global
  nbthread 1
  # HAProxy raises its FD limit to about 2 x maxconn at start and refuses to run when it cannot (containers
  # often cap it at 20000); 4096 is far above the bench's connection count.
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  option forwardfor
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 120s
frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream
backend upstream
  server upstream1 127.0.0.1:${context.upstreamPort}
`,
    );
    // -db: stay in the foreground, so the PID we hold is the proxy itself.
    const child = startChild('haproxy', executable('haproxy'), ['-db', '-f', config], { cpus: context.cpus });
    await whenReady(child, () => waitForPort(port, child));
    return { child, port };
  },
};

/** Every peer, in table order. */
export const PEERS: readonly Peer[] = [
  TIDEGATE_PEER,
  nodePeer('http-proxy-keepalive', 'http-proxy (keep-alive agent)', 'http-proxy'),
  nodePeer('http-proxy', 'http-proxy (default, no agent)', 'http-proxy'),
  nginx,
  haproxy,
  nodePeer('fastify', 'fastify + @fastify/reply-from', 'fastify', ['@fastify/reply-from']),
];
