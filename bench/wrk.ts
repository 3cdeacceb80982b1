/**
 * Load generation: wrk (`--latency`, text output parsed) or, when wrk is missing, autocannon run as a child
 * process with JSON output. Both report requests/s, p50 and p99 latency and failed requests.
 */
import { createRequire } from 'node:module';
import { runToEnd } from './process.js';

/** Which load generator to use. */
export type LoadTool = 'wrk' | 'autocannon';

/** One load run against one URL. */
export interface LoadOptions {
  readonly tool: LoadTool;
  readonly url: string;
  /** Sent as the Host header, so host-routing proxies match. */
  readonly host: string;
  readonly connections: number;
  /** wrk threads; autocannon always runs on its main thread. */
  readonly threads: number;
  readonly durationSeconds: number;
  /** taskset CPU list for the load generator. */
  readonly cpus?: string | undefined;
}

/** What a load run measured. */
export interface LoadResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  readonly errors: number;
}

const TIME_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  const unit = match?.[2];
  if (!match || unit === undefined) throw new Error(`unrecognised wrk duration "${text}"`);
  return Number(match[1]) * (TIME_UNITS_MS[unit] ?? Number.NaN);
}

function capture(text: string, pattern: RegExp, what: string): string {
  const value = pattern.exec(text)?.[1];
  if (value === undefined) throw new Error(`wrk output has no ${what}:\n${text}`);
  return value;
}

/** Parses the text wrk prints with `--latency`. */
export function parseWrkOutput(text: string): LoadResult {
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  let errors = Number(non2xx?.[1] ?? 0);
  if (socketErrors) errors += socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    requestsPerSec: Number(capture(text, /^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')),
    p50Ms: durationMs(capture(text, /^\s+50%\s+(\S+)/m, 'p50')),
    p99Ms: durationMs(capture(text, /^\s+99%\s+(\S+)/m, 'p99')),
    requests: Number(capture(text, /^\s+(\d+) requests in /m, 'request count')),
    errors,
  };
}

interface AutocannonJson {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

/** Parses the JSON autocannon prints with `-j` (its last line). */
export function parseAutocannonOutput(text: string): LoadResult {
  const json = JSON.parse(text.trim().split('\n').at(-1) ?? '') as AutocannonJson;
  return {
    requestsPerSec: json.requests.average,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    requests: json.requests.total,
    errors: json.errors + json.timeouts + json.non2xx,
  };
}

/** Runs one load run to completion; throws if the generator fails or its output cannot be parsed. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const timeoutMs = (options.durationSeconds + 30) * 1000;
  if (options.tool === 'wrk') {
    const args = [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      '--latency',
      '-H',
      `Host: ${options.host}`,
      options.url,
    ];
    const run = await runToEnd('wrk', args, { timeoutMs, cpus: options.cpus });
    if (run.code !== 0) throw new Error(`wrk exited ${run.code}: ${run.stderr}${run.stdout}`);
    return parseWrkOutput(run.stdout);
  }
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [
    cli,
    '-j',
    '-c',
    String(options.connections),
    '-d',
    String(options.durationSeconds),
    '-H',
    `Host=${options.host}`,
    options.url,
  ];
  const run = await runToEnd(process.execPath, args, { timeoutMs, cpus: options.cpus });
  if (run.code !== 0) throw new Error(`autocannon exited ${run.code}: ${run.stderr}`);
  return parseAutocannonOutput(run.stdout);
}
