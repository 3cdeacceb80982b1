/**
 * Runs the real gateway (`tidegate serve`) as a child process for the e2e suite: writes a temporary directory with
 * `tidegate.yaml` and the manifests, spawns the compiled CLI of the same build as the tests in its own process
 * group, reads its JSON log lines, waits (bounded) for the listening lines and `/readyz`, and always stops it and
 * removes the directory through the test's `after` hook.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { SnapshotView } from '../../src/admin/snapshot-view.js';
import { type HttpResponse, jsonOf, request } from './http-client.js';
import { waitUntil, withTimeout } from './wait.js';

/**
 * The CLI entry compiled next to this file (`<outDir>/test/support` → `<outDir>/src/cli/main.js`): what
 * `bin/tidegate` runs for the default build, and the matching build for any other `--outDir`.
 */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const DEFAULT_START_TIMEOUT_MS = 20_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const TAIL_LINES = 40;

/** One stdout line: the parsed pino object, or `{ raw }` for a line that is not JSON. */
export type LogLine = Readonly<Record<string, unknown>>;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Where cleanups go: a `TestContext`, or `{ after }` imported from `node:test` for a suite-level gateway. */
export interface CleanupScope {
  after(fn: () => Promise<void>): void;
}

export interface GatewayOptions {
  /** File name → YAML text, written under `manifests/` before the start. */
  readonly manifests: Readonly<Record<string, string>>;
  /** Top-level `tidegate.yaml` keys that replace the harness defaults (`defaults`, `shutdown`, …). */
  readonly config?: Readonly<Record<string, unknown>> | undefined;
  /** Bound on spawn → listening → ready; default 20 s. */
  readonly startTimeoutMs?: number | undefined;
}

interface LogWaiter {
  readonly predicate: (line: LogLine) => boolean;
  readonly resolve: (line: LogLine) => void;
}

/** A running `tidegate serve`. Create with `GatewayProcess.start`. */
export class GatewayProcess {
  /** The temporary directory holding `tidegate.yaml` and `manifests/`. */
  readonly dir: string;
  readonly manifestsDir: string;
  readonly pid: number;
  /** Bound ports, from the "listening" log lines. */
  readonly ports = { web: 0, websecure: 0, admin: 0 };
  /** Every stdout line so far. */
  readonly logs: LogLine[] = [];
  /** Every stderr line so far. */
  readonly stderr: string[] = [];
  /** Settles once the process has exited and its output is read to the end. */
  readonly exited: Promise<ExitStatus>;
  readonly #waiters = new Set<LogWaiter>();
  #exitStatus: ExitStatus | null = null;
  /** Aborted on exit, so that polls of a dead gateway stop at once. */
  readonly #alive = new AbortController();
  #writes = 0;
  readonly #killOnExit = (): void => {
    // The test runner is going away (a crash, a timeout): never leave a gateway behind.
    this.#signalGroup('SIGKILL');
  };

  private constructor(dir: string, child: ChildProcess) {
    this.dir = dir;
    this.manifestsDir = join(dir, 'manifests');
    if (child.pid === undefined) throw new Error('the gateway process did not spawn');
    this.pid = child.pid;
    process.on('exit', this.#killOnExit);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) =>
      this.#onLine(text),
    );
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (text) =>
      this.stderr.push(text),
    );
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.once('close', (code, signal) => {
        process.off('exit', this.#killOnExit);
        this.#exitStatus = { code, signal };
        this.#alive.abort(new Error(`the gateway exited (${formatExit(this.#exitStatus)})`));
        resolve(this.#exitStatus);
      });
    });
  }

  /**
   * Writes the configuration and manifests, spawns the gateway, registers its cleanup on `scope`, and resolves
   * once both entry points and the admin API listen and `/readyz` answers 200. Throws with the output tail if the
   * gateway exits or is not ready in time.
   */
  static async start(scope: CleanupScope, options: GatewayOptions): Promise<GatewayProcess> {
    if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} does not exist: build the project first`);
    const dir = await mkdtemp(join(tmpdir(), 'tidegate-e2e-'));
    await mkdir(join(dir, 'manifests'));
    for (const [name, text] of Object.entries(options.manifests))
      await writeFile(join(dir, 'manifests', name), text);
    const config = {
      entryPoints: [
        { name: 'web', address: '127.0.0.1:0', protocol: 'http' },
        { name: 'websecure', address: '127.0.0.1:0', protocol: 'https' },
      ],
      admin: { address: '127.0.0.1:0' },
      providers: { file: { paths: ['./manifests'], watch: true, debounce: '50ms' } },
      logging: { level: 'info', format: 'json' },
      shutdown: { drainTimeout: '5s' },
      ...options.config,
    };
    await writeFile(join(dir, 'tidegate.yaml'), stringify(config));

    let gateway: GatewayProcess;
    try {
      const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', join(dir, 'tidegate.yaml')], {
        cwd: process.cwd(),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      gateway = new GatewayProcess(dir, child);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    scope.after(() => gateway.dispose());
    try {
      await withTimeout(
        gateway.#becomeReady(),
        options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        'the gateway to be ready',
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${gateway.tail()}`);
    }
    return gateway;
  }

  /** Base URLs: `http://127.0.0.1:<port>` (`https:` for websecure). */
  get urls(): { readonly web: string; readonly websecure: string; readonly admin: string } {
    return {
      web: `http://127.0.0.1:${this.ports.web}`,
      websecure: `https://127.0.0.1:${this.ports.websecure}`,
      admin: `http://127.0.0.1:${this.ports.admin}`,
    };
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.#exitStatus === null;
  }

  /** Resolves with the first log line (past or future) accepted by `predicate`; rejects on timeout or exit. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const found = this.logs.find(predicate);
    if (found) return Promise.resolve(found);
    let waiter: LogWaiter | undefined;
    const matched = new Promise<LogLine>((resolve) => {
      waiter = { predicate, resolve };
      this.#waiters.add(waiter);
    });
    const exited = this.exited.then((status): never => {
      throw new Error(`the gateway exited (${formatExit(status)}) before the awaited log line`);
    });
    return withTimeout(Promise.race([matched, exited]), timeoutMs, 'a log line').finally(() => {
      if (waiter) this.#waiters.delete(waiter);
    });
  }

  /**
   * Replaces (or creates) `manifests/<name>` atomically: written beside the watched directory, then renamed
   * into it, as a ConfigMap volume swaps its files, so the provider never reads half a file.
   */
  async writeManifest(name: string, text: string): Promise<void> {
    const staging = join(this.dir, `.staging-${this.#writes++}-${name}`);
    await writeFile(staging, text);
    await rename(staging, join(this.manifestsDir, name));
  }

  /** Sends `signal` to the gateway by its PID. */
  kill(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** The exit status, or a rejection naming the output tail when the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    try {
      return await withTimeout(this.exited, timeoutMs, 'the gateway to exit');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.tail()}`);
    }
  }

  /**
   * SIGTERM, then SIGKILL to the whole process group if the gateway has not exited within `timeoutMs`. Returns the
   * exit code (null when a signal ended it).
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<number | null> {
    this.kill('SIGTERM');
    try {
      return (await withTimeout(this.exited, timeoutMs, 'the gateway to exit')).code;
    } catch {
      this.#signalGroup('SIGKILL');
      return (await withTimeout(this.exited, DEFAULT_STOP_TIMEOUT_MS, 'the killed gateway to exit')).code;
    }
  }

  /** Stops the gateway if it still runs and removes the temporary directory; safe to call twice. */
  async dispose(): Promise<void> {
    if (this.running) await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** GET on the admin API. */
  admin(path: string): Promise<HttpResponse> {
    return request(`${this.urls.admin}${path}`);
  }

  /**
   * Base URL (`http://<host>:<port>`) of the service registry's Nacos API, from the gateway's
   * "registry (Nacos API) listening" line (logged before the gateway is ready); rejects when the registry is not
   * enabled.
   */
  async registryUrl(timeoutMs = 5_000): Promise<string> {
    const line = await this.waitForLog((l) => l.msg === 'registry (Nacos API) listening', timeoutMs);
    portOf(line); // throws when the line has no address with a port
    return `http://${String(line.address)}`;
  }

  /** `GET /api/v1/snapshot`, parsed. */
  async snapshot(): Promise<SnapshotView> {
    const response = await this.admin('/api/v1/snapshot');
    if (response.status !== 200)
      throw new Error(`GET /api/v1/snapshot answered ${response.status}: ${response.body}`);
    return jsonOf<SnapshotView>(response);
  }

  /** The last lines of stdout and stderr, for assertion messages. */
  tail(lines = TAIL_LINES): string {
    const out = this.logs.slice(-lines).map((line) => JSON.stringify(line));
    const err = this.stderr.slice(-lines);
    const status = this.#exitStatus ? `exited: ${formatExit(this.#exitStatus)}` : 'still running';
    return [
      `--- gateway pid ${this.pid} (${status}), stdout tail:`,
      ...out,
      '--- stderr tail:',
      ...err,
      '---',
    ].join('\n');
  }

  async #becomeReady(): Promise<void> {
    const listening = (entryPoint: string) => (line: LogLine) =>
      line.msg === 'entry point listening' && line.entryPoint === entryPoint;
    const [web, websecure, admin] = await Promise.all([
      this.waitForLog(listening('web'), DEFAULT_START_TIMEOUT_MS),
      this.waitForLog(listening('websecure'), DEFAULT_START_TIMEOUT_MS),
      this.waitForLog((line) => line.msg === 'admin API listening', DEFAULT_START_TIMEOUT_MS),
    ]);
    this.ports.web = portOf(web);
    this.ports.websecure = portOf(websecure);
    this.ports.admin = portOf(admin);
    await waitUntil(async () => (await this.admin('/readyz')).status === 200, {
      timeoutMs: DEFAULT_START_TIMEOUT_MS,
      intervalMs: 50,
      what: 'GET /readyz to answer 200',
      signal: this.#alive.signal,
    });
  }

  #onLine(text: string): void {
    let line: LogLine;
    try {
      const parsed: unknown = JSON.parse(text);
      line = parsed !== null && typeof parsed === 'object' ? (parsed as LogLine) : { raw: text };
    } catch {
      line = { raw: text };
    }
    this.logs.push(line);
    for (const waiter of this.#waiters) {
      if (waiter.predicate(line)) {
        this.#waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      // detached: the child leads its own process group, whose id is its PID.
      process.kill(-this.pid, signal);
    } catch {
      // Already gone between the check and the signal.
    }
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a one-shot `tidegate <args>` (e.g. `validate`) to completion, killed if it outlives `timeoutMs`. */
export function runCli(args: readonly string[], timeoutMs = 15_000): Promise<CliResult> {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tidegate ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

function portOf(line: LogLine): number {
  const address = typeof line.address === 'string' ? line.address : '';
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in log line ${JSON.stringify(line)}`);
  return port;
}

function formatExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}
