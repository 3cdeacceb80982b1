/**
 * What every measured section of the benchmark shares: the run's settings, and measuring one running proxy
 * (a discarded warm-up, then the measured load run with the proxy's CPU time and peak RSS).
 */
import { performance } from 'node:perf_hooks';
import type { CpuLayout } from './cpu-layout.js';
import type { BenchOptions } from './options.js';
import { type Child, treeCpuTicks, treeRssBytes, waitForStatus } from './process.js';
import type { SizeResult } from './report.js';
import { SMALL_PATH } from './upstream.js';
import { type LoadOptions, type LoadTool, runLoad } from './wrk.js';

/** Everything one run shares. */
export interface Bench {
  readonly options: BenchOptions;
  readonly repoRoot: string;
  readonly tool: LoadTool;
  readonly threads: number;
  readonly layout: CpuLayout;
  readonly workRoot: string;
  readonly upstreamPort: number;
  readonly clockTicksPerSecond: number;
}

/** Sent as Host by the load generator; tidegate routes on it like an Ingress rule host. */
export const HOST = 'bench.tidegate.test';
const RSS_SAMPLE_MS = 250;
/** A peer must answer through to the upstream within this long after it listens. */
const FIRST_RESPONSE_TIMEOUT_MS = 15_000;

/** A progress line on stderr (stdout carries the tables). */
export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** The message of anything thrown. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves once the proxy on `port` answers through to the upstream. */
export function firstResponse(child: Child, port: number): Promise<void> {
  return waitForStatus(`http://127.0.0.1:${port}${SMALL_PATH}`, 200, child, {
    host: HOST,
    timeoutMs: FIRST_RESPONSE_TIMEOUT_MS,
  });
}

/** Highest RSS of `pid`'s process tree, sampled until `stop` is called. */
export function sampleRss(pid: number): { stop(): number } {
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
export async function measureSize(
  bench: Bench,
  child: Child,
  port: number,
  path: string,
): Promise<SizeResult> {
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
