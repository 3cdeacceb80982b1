/**
 * Process helpers for the benchmark: every child is spawned in its own process group, remembered, and stopped by
 * PID (SIGTERM, then SIGKILL after a bounded wait). Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A started child process with the tail of its output kept for error messages. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last few KiB of stdout and stderr, interleaved. */
  output(): string;
}

/** Options for {@link startChild}. */
export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A taskset CPU list (`"1"`, `"0,1"`); the child is started under `taskset -c` when set. */
  readonly cpus?: string | undefined;
}

const OUTPUT_TAIL_BYTES = 8192;
const live = new Set<Child>();
/** Set by {@link stopAll}: a child started after it (a run still unwinding on SIGINT) would outlive the bench. */
let closed = false;

/** Starts `command args` in a new process group; throws if it cannot be spawned. */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Child {
  if (closed) throw new Error(`${name}: not started, the bench is stopping`);
  const argv =
    options.cpus === undefined ? [command, ...args] : ['taskset', '-c', options.cpus, command, ...args];
  const [file, ...rest] = argv as [string, ...string[]];
  const proc = spawn(file, rest, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // Own process group: stopChild can then reach grandchildren (nginx's worker) by the group id.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${file}`);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const child: Child = { name, pid: proc.pid, process: proc, exited, output: () => tail };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/**
 * `promise`'s value, or `'timeout'` after `ms`. The timer is cleared as soon as `promise` settles: a pending one
 * would hold the event loop, and so the bench's exit, open for up to the longest timeout (a wrk run's + 30 s).
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/** Stops a child: SIGTERM to its process group, SIGKILL to the group if it has not exited within `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    signalGroup(child.pid, 'SIGTERM');
    if ((await withTimeout(child.exited, graceMs)) === 'timeout') {
      signalGroup(child.pid, 'SIGKILL');
      await withTimeout(child.exited, graceMs);
    }
  }
  // The leader may have exited while a grandchild lingers; the group id still reaches it.
  signalGroup(child.pid, 'SIGKILL');
  live.delete(child);
}

/** Stops every child started by {@link startChild} that is still running; startChild refuses from then on. */
export async function stopAll(): Promise<void> {
  closed = true;
  await Promise.all([...live].map((child) => stopChild(child, 1000)));
}

/** Result of {@link runToEnd}. */
export interface RunResult {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link runToEnd}. */
export interface RunOptions extends StartOptions {
  /** The command is stopped, and runToEnd throws, when it has not exited after this long. */
  readonly timeoutMs: number;
}

/** Runs a command to completion (killing it after `timeoutMs`) and returns its full output. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const { timeoutMs } = options;
  const child = startChild(command, command, args, options);
  let stdout = '';
  let stderr = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.process.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const outcome = await withTimeout(child.exited, timeoutMs);
  if (outcome === 'timeout') {
    await stopChild(child, 1000);
    throw new Error(`${command} did not finish within ${timeoutMs} ms`);
  }
  live.delete(child);
  return { code: outcome, stdout, stderr };
}

/** An ephemeral TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exitedEarly(child: Child): Error | undefined {
  const code = child.process.exitCode ?? child.process.signalCode;
  if (code === null) return undefined;
  return new Error(`${child.name} exited (${code}) before it was ready:\n${child.output()}`);
}

/** Runs `ready`; if it fails, stops `child` before rethrowing, so a half-started peer never outlives the error. */
export async function whenReady(child: Child, ready: () => Promise<void>): Promise<Child> {
  try {
    await ready();
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Waits until 127.0.0.1:`port` accepts connections; fails early if `child` exits, or after `timeoutMs`. */
export async function waitForPort(port: number, child: Child, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const early = exitedEarly(child);
    if (early) throw early;
    if (await connects(port)) return;
    await sleep(50);
  }
  throw new Error(`${child.name}: port ${port} not open after ${timeoutMs} ms:\n${child.output()}`);
}

/** Searched after PATH: apt installs nginx and haproxy in sbin, which a non-login PATH may lack. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable found on PATH (or in the sbin directories), or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...SBIN_DIRS]) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function statusOf(url: string, host: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const headers = host === undefined ? {} : { host };
    const req = request(url, { timeout: 1000, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

/**
 * Waits until GET `url` (with `host` as the Host header when given) answers `status`; fails early if `child`
 * exits, or after `timeoutMs`.
 */
export async function waitForStatus(
  url: string,
  status: number,
  child: Child,
  options: { readonly timeoutMs?: number; readonly host?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    const early = exitedEarly(child);
    if (early) throw early;
    last = await statusOf(url, options.host);
    if (last === status) return;
    await sleep(100);
  }
  throw new Error(
    `${child.name}: ${url} answered ${last}, not ${status}, within ${timeoutMs} ms:\n${child.output()}`,
  );
}

/** `pid` and all its descendants, found through the parent ids in /proc/<pid>/stat. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const id = Number(entry);
    if (!Number.isInteger(id)) continue;
    const ppid = statFields(id)?.[1];
    if (ppid === undefined) continue;
    const siblings = children.get(Number(ppid)) ?? [];
    siblings.push(id);
    children.set(Number(ppid), siblings);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** Fields of /proc/<pid>/stat after the command name (state first), or undefined if the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces; the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` and its descendants, in bytes (VmRSS from /proc/<pid>/status). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const id of processTree(pid)) {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${id}/status`, 'utf8'));
      if (match?.[1]) total += Number(match[1]) * 1024;
    } catch {
      // The process exited between the scan and the read.
    }
  }
  return total;
}

/** User + system CPU time of `pid` and its descendants, in clock ticks (utime + stime of /proc/<pid>/stat). */
export function treeCpuTicks(pid: number): number {
  let total = 0;
  for (const id of processTree(pid)) {
    const fields = statFields(id);
    // After the command name: state(0) ppid(1) ... utime(11) stime(12), i.e. fields 14 and 15 of proc(5).
    if (fields) total += Number(fields[11]) + Number(fields[12]);
  }
  return total;
}
