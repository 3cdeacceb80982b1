/**
 * The benchmark's environment knobs: BENCH_DURATION (seconds per measured run, default 10), BENCH_CONNECTIONS
 * (concurrent client connections, default 50) and BENCH_ONLY (comma list of peer ids, default every peer).
 */

/** What one `npm run bench` measures. */
export interface BenchOptions {
  /** Seconds of each measured load run. */
  readonly durationSeconds: number;
  /** Seconds of the discarded warm-up run before each measured run (JIT, connection pools, page cache). */
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Peer ids to run, in table order. */
  readonly peerIds: readonly string[];
}

const DEFAULT_DURATION_SECONDS = 10;
const DEFAULT_CONNECTIONS = 50;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  return value;
}

/**
 * Reads the knobs from `env`; `knownPeerIds` is every peer in table order. Throws on a malformed value or an
 * unknown id in BENCH_ONLY, so a typo does not silently benchmark nothing.
 */
export function parseBenchOptions(env: NodeJS.ProcessEnv, knownPeerIds: readonly string[]): BenchOptions {
  const durationSeconds = positiveInteger(env, 'BENCH_DURATION', DEFAULT_DURATION_SECONDS);
  const connections = positiveInteger(env, 'BENCH_CONNECTIONS', DEFAULT_CONNECTIONS);
  let peerIds = knownPeerIds;
  const only = env.BENCH_ONLY?.trim();
  if (only !== undefined && only !== '') {
    const wanted = new Set(
      only
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    );
    const unknown = [...wanted].filter((id) => !knownPeerIds.includes(id));
    if (unknown.length > 0) {
      throw new Error(`BENCH_ONLY: unknown peer(s) ${unknown.join(', ')}; known: ${knownPeerIds.join(', ')}`);
    }
    peerIds = knownPeerIds.filter((id) => wanted.has(id));
  }
  // A third of the run, 1 to 3 s: long enough for V8 to optimise the hot path and pools to fill.
  const warmupSeconds = Math.max(1, Math.min(3, Math.floor(durationSeconds / 3)));
  return { durationSeconds, warmupSeconds, connections, peerIds };
}
