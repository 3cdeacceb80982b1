/**
 * `npm run bench`: tidegate side by side with nginx, HAProxy and Node.js proxies on the same upstream, load and
 * CPU layout, in one run. Prints the machine facts, one table (requests/s, p50, p99 for 64 B and 16 KiB
 * responses, errors, peak RSS, and tidegate's throughput over each peer's), and writes the same as JSON to
 * bench/results/latest.json. Knobs: BENCH_DURATION, BENCH_CONNECTIONS, BENCH_ONLY (see options.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type CpuLayout, chooseCpuLayout } from './cpu-layout.js';
import { ensureTools } from './install.js';
import { type BenchOptions, parseBenchOptions } from './options.js';
import { PEERS, type Peer } from './peers.js';
import {
  type Child,
  findExecutable,
  freePort,
  runToEnd,
  startChild,
  stopAll,
  stopChild,
  treeCpuTicks,
  treeRssBytes,
  waitForStatus,
  whenReady,
} from './process.js';
import {
  formatRatioLines,
  formatTable,
  type PeerOutcome,
  type SizeResult,
  summarizeFailure,
} from './report.js';
import { LARGE_PATH, SMALL_PATH } from './upstream.js';
import { type LoadOptions, type LoadTool, runLoad } from './wrk.js';

/** dist/bench/run.js → the repository root. */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/latest.json');
/** Sent as Host by the load generator; tidegate routes on it like an Ingress rule host. */
const HOST = 'bench.tidegate.test';
const RSS_SAMPLE_MS = 250;
const CPU_NOTE =
  "CPU% = the proxy's CPU time over the measured run, in % of its one core: well below 100 means the load side " +
  '(load generator + upstream), not the proxy, set the pace.';
/** A peer must answer through to the upstream within this long after it listens. */
const FIRST_RESPONSE_TIMEOUT_MS = 15_000;

/** Everything one run shares. */
interface Bench {
  readonly options: BenchOptions;
  readonly tool: LoadTool;
  readonly threads: number;
  readonly layout: CpuLayout;
  readonly workRoot: string;
  readonly upstreamPort: number;
  readonly clockTicksPerSecond: number;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function allowedCpus(): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function clockTicksPerSecond(): Promise<number> {
  try {
    const value = Number((await runToEnd('getconf', ['CLK_TCK'], { timeoutMs: 5000 })).stdout.trim());
    return value > 0 ? value : 100;
  } catch {
    // USER_HZ is 100 on every mainstream Linux architecture.
    return 100;
  }
}

/** Moves this process, every thread included (`-a`), to the load side so it never steals the proxy's core. */
async function pinSelf(cpuList: string): Promise<void> {
  const run = await runToEnd('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], {
    timeoutMs: 5000,
  });
  if (run.code !== 0) throw new Error(`taskset -p exited ${run.code}: ${run.stderr}`);
}

async function loadToolVersion(tool: LoadTool): Promise<string> {
  if (tool === 'autocannon') return 'autocannon';
  // `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and exits 1.
  const run = await runToEnd('wrk', ['-v'], { timeoutMs: 5000 });
  return /^wrk \S+/.exec(run.stdout.trim())?.[0] ?? 'wrk';
}

async function startUpstream(bench: Pick<Bench, 'layout'>): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = startChild(
    'upstream',
    process.execPath,
    [join(REPO_ROOT, 'dist/bench/upstream.js'), String(port)],
    {
      cwd: REPO_ROOT,
      cpus: bench.layout.loadCpus,
    },
  );
  await whenReady(child, () => waitForStatus(`http://127.0.0.1:${port}${SMALL_PATH}`, 200, child));
  return { child, port };
}

/** Highest RSS of `pid`'s process tree, sampled until `stop` is called. */
function sampleRss(pid: number): { stop(): number } {
  let peak = treeRssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid));
  }, RSS_SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, treeRssBytes(pid));
    },
  };
}

function assertRunning(child: Child): void {
  const code = child.process.exitCode ?? child.process.signalCode;
  if (code !== null) throw new Error(`${child.name} exited (${code}) under load:\n${child.output()}`);
}

/** A discarded warm-up run, then the measured run with the proxy's CPU time over it. */
async function measureSize(bench: Bench, child: Child, port: number, path: string): Promise<SizeResult> {
  const load: LoadOptions = {
    tool: bench.tool,
    url: `http://127.0.0.1:${port}${path}`,
    host: HOST,
    connections: bench.options.connections,
    threads: bench.threads,
    durationSeconds: bench.options.warmupSeconds,
    cpus: bench.layout.loadCpus,
  };
  await runLoad(load);
  assertRunning(child);
  const ticksBefore = treeCpuTicks(child.pid);
  const started = performance.now();
  const result = await runLoad({ ...load, durationSeconds: bench.options.durationSeconds });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (treeCpuTicks(child.pid) - ticksBefore) / bench.clockTicksPerSecond;
  assertRunning(child);
  return { ...result, proxyCpuPercent: (cpuSeconds / seconds) * 100 };
}

/** Starts, measures and stops one peer; any failure becomes an `unavailable` row, never an abort. */
async function runPeer(bench: Bench, peer: Peer): Promise<PeerOutcome> {
  const unavailable = (reason: string): PeerOutcome => ({
    status: 'unavailable',
    id: peer.id,
    label: peer.label,
    reason,
  });
  const reason = peer.unavailable(REPO_ROOT);
  if (reason !== undefined) return unavailable(reason);
  const workDir = mkdtempSync(join(bench.workRoot, `${peer.id}-`));
  let child: Child | undefined;
  try {
    const version = peer.version(REPO_ROOT);
    log(`${peer.id} ${version}: starting`);
    const running = await peer.start({
      repoRoot: REPO_ROOT,
      workDir,
      upstreamPort: bench.upstreamPort,
      host: HOST,
      cpus: bench.layout.proxyCpus,
    });
    child = running.child;
    await waitForStatus(`http://127.0.0.1:${running.port}${SMALL_PATH}`, 200, child, {
      host: HOST,
      timeoutMs: FIRST_RESPONSE_TIMEOUT_MS,
    });
    const rss = sampleRss(child.pid);
    try {
      log(`${peer.id}: 64 B responses`);
      const small = await measureSize(bench, child, running.port, SMALL_PATH);
      log(`${peer.id}: 16 KiB responses`);
      const large = await measureSize(bench, child, running.port, LARGE_PATH);
      return {
        status: 'measured',
        id: peer.id,
        label: peer.label,
        version,
        small,
        large,
        peakRssBytes: rss.stop(),
      };
    } finally {
      rss.stop();
    }
  } catch (error) {
    log(`${peer.id} failed: ${message(error)}`);
    return unavailable(`failed: ${summarizeFailure(message(error))}`);
  } finally {
    if (child !== undefined) await stopChild(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

function machineFacts(
  bench: Bench,
  toolVersion: string,
  outcomes: readonly PeerOutcome[],
  setupNotes: readonly string[],
): string[] {
  const versions = outcomes.flatMap((outcome) =>
    outcome.status === 'measured' ? [`${outcome.id} ${outcome.version}`] : [],
  );
  const { options } = bench;
  return [
    `machine: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} CPUs, Linux ${release()}, Node ${process.version}`,
    `load:    ${toolVersion} (${bench.threads} thread${bench.threads === 1 ? '' : 's'}), ${options.connections} connections, ` +
      `${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up, per response size`,
    `layout:  ${bench.layout.description}`,
    `upstream: one Node.js process (${SMALL_PATH}: 64 B, ${LARGE_PATH}: 16 KiB), keep-alive`,
    `versions: ${versions.join('; ')}`,
    ...setupNotes.map((note) => `setup:   ${note}`),
  ];
}

async function main(): Promise<number> {
  const options = parseBenchOptions(
    process.env,
    PEERS.map((peer) => peer.id),
  );
  const setupNotes = await ensureTools();
  for (const note of setupNotes) log(note);
  const tool: LoadTool = findExecutable('wrk') === undefined ? 'autocannon' : 'wrk';
  if (tool === 'autocannon')
    setupNotes.push('wrk not available: load generated by autocannon (slower: lower ceiling)');
  const layout = chooseCpuLayout(allowedCpus(), findExecutable('taskset') !== undefined);
  if (layout.loadCpus !== undefined) await pinSelf(layout.loadCpus);
  const workRoot = mkdtempSync(join(tmpdir(), 'tidegate-bench-'));
  // Children run in their own process groups, so a terminal's Ctrl-C does not reach them: stop them ourselves.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every child`);
      void stopAll().finally(() => {
        rmSync(workRoot, { recursive: true, force: true });
        process.exit(code);
      });
    });
  }
  try {
    const upstream = await startUpstream({ layout });
    const bench: Bench = {
      options,
      tool,
      // One wrk thread per core the load side has: more threads on one core only add switching.
      threads: layout.loadCpus === undefined ? Math.min(2, cpus().length) : 1,
      layout,
      workRoot,
      upstreamPort: upstream.port,
      clockTicksPerSecond: await clockTicksPerSecond(),
    };
    const outcomes: PeerOutcome[] = [];
    for (const peer of PEERS.filter((candidate) => options.peerIds.includes(candidate.id))) {
      outcomes.push(await runPeer(bench, peer));
    }
    await stopChild(upstream.child);
    const toolVersion = await loadToolVersion(tool);
    const facts = machineFacts(bench, toolVersion, outcomes, setupNotes);
    const ratioLines = formatRatioLines(outcomes);
    const ratioBlock = ratioLines.length === 0 ? [] : ['', ...ratioLines];
    process.stdout.write(`${[...facts, '', formatTable(outcomes), CPU_NOTE, ...ratioBlock].join('\n')}\n`);
    mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
    const json = {
      date: new Date().toISOString(),
      facts,
      settings: { ...options, host: HOST, tool: toolVersion, threads: bench.threads, layout },
      results: outcomes,
      ratios: ratioLines,
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`\nresults: ${RESULTS_FILE}\n`);
    return outcomes.some((outcome) => outcome.status === 'measured') ? 0 : 1;
  } finally {
    await stopAll();
    rmSync(workRoot, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    log(message(error));
    await stopAll();
    process.exitCode = 1;
  },
);
