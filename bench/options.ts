/**
 * The benchmark's environment knobs: BENCH_DURATION (seconds per measured run, default 10), BENCH_CONNECTIONS
 * (concurrent client connections, default 50), BENCH_ONLY (comma list of peer ids, default every peer),
 * BENCH_SECTIONS (which tables: `peers`, `policies`, `pickers`, default all three), BENCH_POLICIES (the
 * `load-balance` policies of the policy table and the picker table, default round_robin, least_request, ewma,
 * maglev), BENCH_ENDPOINTS (endpoint counts per policy, default 3 and 1000) and BENCH_UPSTREAM (`nginx` or
 * `node`; default nginx when installed, see upstream-server.ts).
 */
import { LOAD_BALANCE_VALUES, type LoadBalanceName } from '../src/translate/services/balancing-values.js';
import type { UpstreamKind } from './upstream-server.js';

/** The tables one run can produce, in output order. */
export const BENCH_SECTIONS = ['peers', 'policies', 'pickers'] as const;
/** One of {@link BENCH_SECTIONS}. */
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** What one `npm run bench` measures. */
export interface BenchOptions {
  /** Seconds of each measured load run. */
  readonly durationSeconds: number;
  /** Seconds of the discarded warm-up run before each measured run (JIT, connection pools, page cache). */
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Peer ids to run, in table order. */
  readonly peerIds: readonly string[];
  /** Tables to produce, in output order. */
  readonly sections: readonly BenchSection[];
  /** `load-balance` policies of the policy and picker tables, in table order. */
  readonly policies: readonly LoadBalanceName[];
  /** Endpoint counts each policy is measured with, ascending. */
  readonly endpointCounts: readonly number[];
  /** The upstream program; undefined = nginx when installed, else node. */
  readonly upstream: UpstreamKind | undefined;
}

/** The programs BENCH_UPSTREAM accepts. */
const UPSTREAM_KINDS: readonly UpstreamKind[] = ['nginx', 'node'];

const DEFAULT_DURATION_SECONDS = 10;
const DEFAULT_CONNECTIONS = 50;
/** Issue 3's policy dimension: the default policy, the two load-aware ones and consistent hashing. */
const DEFAULT_POLICIES: readonly LoadBalanceName[] = ['round_robin', 'least_request', 'ewma', 'maglev'];
const DEFAULT_ENDPOINT_COUNTS = [3, 1000];
/** One EndpointSlice holds at most 1000 endpoints (Kubernetes' limit), and the bench writes one slice. */
const MAX_ENDPOINTS = 1000;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  return value;
}

function integerKnob(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? fallback : positiveInteger(name, text);
}

/** The non-empty items of a comma list, trimmed; undefined when the variable is unset or blank. */
function listKnob(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * The items of `known` that the comma list `name` names, in `known`'s order, or all of `known` when unset. An
 * unknown item is an error naming it and the known ones, so a typo does not silently benchmark nothing.
 */
function selectKnown<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  known: readonly T[],
  what: string,
): readonly T[] {
  const wanted = listKnob(env, name);
  if (wanted === undefined) return known;
  const unknown = wanted.filter((item) => !(known as readonly string[]).includes(item));
  if (unknown.length > 0)
    throw new Error(`${name}: unknown ${what}(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return known.filter((item) => wanted.includes(item));
}

function endpointCounts(env: NodeJS.ProcessEnv): number[] {
  const items = listKnob(env, 'BENCH_ENDPOINTS');
  if (items === undefined) return DEFAULT_ENDPOINT_COUNTS;
  const counts = items.map((item) => positiveInteger('BENCH_ENDPOINTS', item));
  const tooMany = counts.find((count) => count > MAX_ENDPOINTS);
  if (tooMany !== undefined)
    throw new Error(
      `BENCH_ENDPOINTS: ${tooMany} is above ${MAX_ENDPOINTS}, the endpoints of one EndpointSlice`,
    );
  return [...new Set(counts)].sort((a, b) => a - b);
}

/**
 * Reads the knobs from `env`; `knownPeerIds` is every peer in table order. Throws on a malformed value or an
 * unknown name.
 */
export function parseBenchOptions(env: NodeJS.ProcessEnv, knownPeerIds: readonly string[]): BenchOptions {
  const durationSeconds = integerKnob(env, 'BENCH_DURATION', DEFAULT_DURATION_SECONDS);
  const connections = integerKnob(env, 'BENCH_CONNECTIONS', DEFAULT_CONNECTIONS);
  const peerIds = selectKnown(env, 'BENCH_ONLY', knownPeerIds, 'peer');
  const sections = selectKnown(env, 'BENCH_SECTIONS', BENCH_SECTIONS, 'section');
  // Unset: issue 3's four; set: any `load-balance` name, in LOAD_BALANCE_VALUES order (round_robin first).
  const policies =
    listKnob(env, 'BENCH_POLICIES') === undefined
      ? DEFAULT_POLICIES
      : selectKnown(env, 'BENCH_POLICIES', LOAD_BALANCE_VALUES, 'policy');
  const upstream = env.BENCH_UPSTREAM?.trim() || undefined;
  if (upstream !== undefined && !(UPSTREAM_KINDS as readonly string[]).includes(upstream))
    throw new Error(`BENCH_UPSTREAM: unknown upstream "${upstream}"; known: ${UPSTREAM_KINDS.join(', ')}`);
  // A third of the run, 1 to 3 s: long enough for V8 to optimise the hot path and pools to fill.
  const warmupSeconds = Math.max(1, Math.min(3, Math.floor(durationSeconds / 3)));
  return {
    durationSeconds,
    warmupSeconds,
    connections,
    peerIds,
    sections,
    policies,
    endpointCounts: endpointCounts(env),
    upstream: upstream as UpstreamKind | undefined,
  };
}
