/**
 * `npm run bench`: up to three tables in one run, each a section (BENCH_SECTIONS):
 * - `peers`: tidegate side by side with nginx, HAProxy and Node.js proxies on the same upstream, load and CPU
 *   layout (requests/s, p50, p99 for 64 B and 16 KiB responses, errors, peak RSS, and tidegate's throughput over
 *   each peer's);
 * - `policies`: tidegate per `load-balance` policy over 3 and 1000 endpoints (policies.ts);
 * - `pickers`: the in-process cost of one pick per policy and endpoint count (pickers.ts).
 * Prints the machine facts and the tables, and writes the same as JSON to bench/results/latest.json. Knobs: see
 * options.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseCpuLayout } from './cpu-layout.js';
import { ensureTools } from './install.js';
import { type Bench, firstResponse, HOST, log, measureSize, message, sampleRss } from './measure.js';
import { type BenchSection, parseBenchOptions } from './options.js';
import { PEERS, type Peer } from './peers.js';
import { POLICY_NOTES, runPolicies } from './policies.js';
import { type Child, findExecutable, runToEnd, stopAll, stopChild } from './process.js';
import {
  formatPickerTable,
  formatPolicyTable,
  formatRatioLines,
  formatTable,
  type PeerOutcome,
  type PickerRow,
  type PolicyOutcome,
  summarizeFailure,
} from './report.js';
import { LARGE_PATH, SMALL_PATH } from './upstream.js';
import { loopbackAddresses, startUpstream } from './upstream-server.js';
import type { LoadTool } from './wrk.js';

/** dist/bench/run.js → the repository root. */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/latest.json');
const CPU_NOTE =
  "CPU% = the proxy's CPU time over the measured run, in % of its one core: well below 100 means the load side " +
  '(load generator + upstream), not the proxy, set the pace.';
/** The picker table adds this many endpoints to the gateway's counts: in process, an EndpointSlice's cap is moot. */
const PICKER_EXTRA_ENDPOINTS = 10_000;
const PICKER_TIMEOUT_MS = 300_000;

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
    await firstResponse(child, running.port);
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

/** The picker micro-benchmark as a child on the proxy's CPU: a fresh heap and JIT, and the core the gateway had. */
async function runPickers(bench: Bench): Promise<PickerRow[]> {
  const counts = [...new Set([...bench.options.endpointCounts, PICKER_EXTRA_ENDPOINTS])].sort(
    (a, b) => a - b,
  );
  log(`pickers: ${bench.options.policies.join(', ')} over ${counts.join(', ')} endpoints, in process`);
  const run = await runToEnd(
    process.execPath,
    [join(REPO_ROOT, 'dist/bench/pickers.js'), '--json', bench.options.policies.join(','), counts.join(',')],
    { cwd: REPO_ROOT, cpus: bench.layout.proxyCpus, timeoutMs: PICKER_TIMEOUT_MS },
  );
  if (run.code !== 0) throw new Error(`pickers.js exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PickerRow[];
}

function machineFacts(
  bench: Bench,
  toolVersion: string,
  upstream: string,
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
    `upstream: ${upstream}`,
    ...(versions.length === 0 ? [] : [`versions: ${versions.join('; ')}`]),
    ...setupNotes.map((note) => `setup:   ${note}`),
  ];
}

/** The measured sections' results, each present when its section ran. */
interface Sections {
  peers?: PeerOutcome[];
  policies?: PolicyOutcome[];
  pickers?: PickerRow[];
  pickersError?: string;
}

function render(sections: Sections, facts: readonly string[]): string {
  const blocks = [facts.join('\n')];
  if (sections.peers !== undefined) {
    const ratioLines = formatRatioLines(sections.peers);
    blocks.push(
      [
        'tidegate and its peers',
        formatTable(sections.peers),
        CPU_NOTE,
        ...(ratioLines.length === 0 ? [] : ['', ...ratioLines]),
      ].join('\n'),
    );
  }
  if (sections.policies !== undefined) {
    blocks.push(
      ['tidegate by policy (64 B responses)', formatPolicyTable(sections.policies), ...POLICY_NOTES].join(
        '\n',
      ),
    );
  }
  if (sections.pickers !== undefined) {
    blocks.push(
      ['pickers in process (no sockets), on the proxy CPU', formatPickerTable(sections.pickers)].join('\n'),
    );
  }
  if (sections.pickersError !== undefined) blocks.push(`pickers failed: ${sections.pickersError}`);
  return `${blocks.join('\n\n')}\n`;
}

function has(bench: Bench, section: BenchSection): boolean {
  return bench.options.sections.includes(section);
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
    const measuresLoad = options.sections.includes('peers') || options.sections.includes('policies');
    // Every endpoint address of the policy table must answer; the peers use the first, 127.0.0.1.
    const addressCount = options.sections.includes('policies') ? Math.max(1, ...options.endpointCounts) : 1;
    const upstream = measuresLoad
      ? await startUpstream({
          kind: options.upstream ?? (findExecutable('nginx') === undefined ? 'node' : 'nginx'),
          workDir: mkdtempSync(join(workRoot, 'upstream-')),
          addresses: loopbackAddresses(addressCount),
          cpus: layout.loadCpus,
        })
      : undefined;
    const bench: Bench = {
      options,
      repoRoot: REPO_ROOT,
      tool,
      // One wrk thread per core the load side has: more threads on one core only add switching.
      threads: layout.loadCpus === undefined ? Math.min(2, cpus().length) : 1,
      layout,
      workRoot,
      upstreamPort: upstream?.port ?? 0,
      clockTicksPerSecond: await clockTicksPerSecond(),
    };
    const sections: Sections = {};
    if (has(bench, 'peers')) {
      sections.peers = [];
      for (const peer of PEERS.filter((candidate) => options.peerIds.includes(candidate.id))) {
        sections.peers.push(await runPeer(bench, peer));
      }
    }
    if (has(bench, 'policies')) sections.policies = await runPolicies(bench);
    if (upstream !== undefined) await stopChild(upstream.child);
    if (has(bench, 'pickers')) {
      try {
        sections.pickers = await runPickers(bench);
      } catch (error) {
        sections.pickersError = summarizeFailure(message(error));
      }
    }
    const toolVersion = await loadToolVersion(tool);
    const facts = machineFacts(
      bench,
      toolVersion,
      upstream?.description ?? 'none (no load sections)',
      sections.peers ?? [],
      setupNotes,
    );
    process.stdout.write(render(sections, facts));
    mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
    const json = {
      date: new Date().toISOString(),
      facts,
      settings: { ...options, host: HOST, tool: toolVersion, threads: bench.threads, layout },
      results: sections.peers ?? [],
      ratios: formatRatioLines(sections.peers ?? []),
      policies: sections.policies ?? [],
      pickers: sections.pickers ?? [],
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`\nresults: ${RESULTS_FILE}\n`);
    const measured = [...(sections.peers ?? []), ...(sections.policies ?? [])].some(
      (outcome) => outcome.status === 'measured',
    );
    return measured || sections.pickers !== undefined ? 0 : 1;
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
