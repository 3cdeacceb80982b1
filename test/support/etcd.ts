/**
 * A real single-member etcd (`/usr/bin/etcd`, Debian's etcd-server 3.4) for the registry tests: 127.0.0.1 ephemeral
 * ports, its own temporary data directory, started and stopped by PID, restartable on the same ports and data so
 * that persistence across an etcd restart can be tested.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupScope } from './gateway-process.js';
import { request } from './http-client.js';
import { waitUntil, withTimeout } from './wait.js';

export const ETCD_BINARY = process.env.TIDEGATE_TEST_ETCD ?? '/usr/bin/etcd';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running etcd member. Create with {@link EtcdServer.start}. */
export class EtcdServer {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly output: string[] = [];
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();

  private constructor(dataDir: string, clientPort: number, peerPort: number) {
    this.dataDir = dataDir;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
  }

  /** True when the etcd binary exists (tests skip with a reason otherwise). */
  static available(): boolean {
    return existsSync(ETCD_BINARY);
  }

  /** Starts etcd, registers its stop and data-dir removal on `scope`, resolves once `/health` answers. */
  static async start(scope: CleanupScope): Promise<EtcdServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tidegate-etcd-'));
    const server = new EtcdServer(dataDir, await freePort(), await freePort());
    scope.after(async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    await server.#spawn();
    return server;
  }

  /** `http://127.0.0.1:<clientPort>`, what `registry.etcd.endpoints` takes. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGTERM by PID, SIGKILL if it does not exit in time; a no-op when stopped. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null || child.pid === undefined) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
    try {
      await withTimeout(this.#exited, STOP_TIMEOUT_MS, 'etcd to exit');
    } catch {
      process.kill(child.pid, 'SIGKILL');
      await this.#exited;
    }
  }

  /** Stops and starts again on the same ports and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  async #spawn(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      ETCD_BINARY,
      [
        '--name=tidegate-test',
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${this.endpoint}`,
        `--advertise-client-urls=${this.endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=tidegate-test=${peer}`,
        // etcd raises every lease TTL to 1.5 election timeouts (2 s with the defaults); shorter Raft timings on
        // this single member let 1 s leases keep their TTL, so heartbeat and delete timeouts stay distinct.
        '--heartbeat-interval=10',
        '--election-timeout=100',
        '--log-level=error',
        '--logger=zap',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    const kill = (): void => {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    };
    process.on('exit', kill);
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.#exited = new Promise((resolve) =>
      child.once('close', () => {
        process.off('exit', kill);
        resolve();
      }),
    );
    const exited = new AbortController();
    void this.#exited.then(() =>
      exited.abort(new Error(`etcd exited: ${this.output.join('').slice(-2000)}`)),
    );
    await waitUntil(
      async () => {
        const response = await request(`${this.endpoint}/health`);
        return response.status === 200 && response.body.includes('true');
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 100, what: 'etcd /health', signal: exited.signal },
    );
  }
}

/** A port that was free a moment ago (etcd takes its ports as flags, so it cannot be told to pick one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
