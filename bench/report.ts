/**
 * The benchmark's results and their rendering: one row per peer, the measured columns, and the ratio of
 * tidegate's throughput to each peer's (`tidegate/nginx = 0.45x`: above 1 tidegate served more requests/s).
 */
import type { LoadResult } from './wrk.js';

/** One measured response size. */
export interface SizeResult extends LoadResult {
  /** CPU used by the proxy process tree during the measured run, in percent of one core. */
  readonly proxyCpuPercent: number;
}

/** A peer that ran: both response sizes measured. */
export interface MeasuredPeer {
  readonly status: 'measured';
  readonly id: string;
  readonly label: string;
  readonly version: string;
  /** 64-byte responses. */
  readonly small: SizeResult;
  /** 16 KiB responses. */
  readonly large: SizeResult;
  /** Highest resident set size of the proxy process tree seen during the runs, in bytes. */
  readonly peakRssBytes: number;
}

/** A peer that could not run here, or failed while starting or under load. */
export interface UnavailablePeer {
  readonly status: 'unavailable';
  readonly id: string;
  readonly label: string;
  readonly reason: string;
}

/** The outcome for one peer. */
export type PeerOutcome = MeasuredPeer | UnavailablePeer;

/** Throughput ratios of the baseline to one peer, per response size; undefined when either side did not run. */
export interface Ratio {
  readonly peerId: string;
  readonly label: string;
  readonly small: number | undefined;
  readonly large: number | undefined;
}

/** The id every other peer is compared with. */
export const BASELINE_ID = 'tidegate';

function rpsRatio(baseline: SizeResult, peer: SizeResult): number | undefined {
  return peer.requestsPerSec > 0 ? baseline.requestsPerSec / peer.requestsPerSec : undefined;
}

/** The baseline's requests/s divided by each other measured peer's, in outcome order. */
export function ratios(outcomes: readonly PeerOutcome[], baselineId = BASELINE_ID): Ratio[] {
  const baseline = outcomes.find((outcome) => outcome.id === baselineId);
  return outcomes
    .filter((outcome) => outcome.id !== baselineId)
    .map((outcome) => {
      const both = baseline?.status === 'measured' && outcome.status === 'measured';
      return {
        peerId: outcome.id,
        label: outcome.label,
        small: both ? rpsRatio(baseline.small, outcome.small) : undefined,
        large: both ? rpsRatio(baseline.large, outcome.large) : undefined,
      };
    });
}

/** `2.40x`, or `-` when there is nothing to compare. */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '-' : `${ratio.toFixed(2)}x`;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function ms(value: number): string {
  return value.toFixed(2);
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

const HEADER = [
  'peer',
  'small rps',
  'p50 ms',
  'p99 ms',
  '16k rps',
  'p50 ms',
  'p99 ms',
  'errors',
  'RSS MiB',
  'CPU% small/16k',
  'tidegate/peer small',
  'tidegate/peer 16k',
] as const;

/**
 * Renders rows as an aligned plain-text table: the first `labelColumns` columns left-aligned, the numbers after
 * them right-aligned. A row may be shorter than the header and carry a note, printed after its cells (why a row
 * has no figures).
 */
export function renderTable(
  header: readonly string[],
  rows: ReadonlyArray<{ readonly cells: readonly string[]; readonly note?: string | undefined }>,
  labelColumns: number,
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row.cells[column] ?? '').length)),
  );
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column < labelColumns ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const labelWidth =
    widths.slice(0, labelColumns).reduce((sum, width) => sum + width, 0) + 2 * (labelColumns - 1);
  const lines = [render(header), widths.map((width) => '-'.repeat(width)).join('  ')];
  for (const row of rows) {
    lines.push(
      row.note === undefined ? render(row.cells) : `${render(row.cells).padEnd(labelWidth)}  ${row.note}`,
    );
  }
  return lines.join('\n');
}

/**
 * The results as an aligned plain-text table, one row per outcome in the given order. A peer that did not run
 * keeps its row, with `unavailable: <reason>` in place of the figures.
 */
export function formatTable(outcomes: readonly PeerOutcome[], baselineId = BASELINE_ID): string {
  const byPeer = new Map(ratios(outcomes, baselineId).map((ratio) => [ratio.peerId, ratio]));
  const rows = outcomes.map((outcome) => {
    if (outcome.status === 'unavailable')
      return { cells: [outcome.label], note: `unavailable: ${outcome.reason}` };
    const ratio = byPeer.get(outcome.id);
    const isBaseline = outcome.id === baselineId;
    return {
      cells: [
        outcome.label,
        integer.format(outcome.small.requestsPerSec),
        ms(outcome.small.p50Ms),
        ms(outcome.small.p99Ms),
        integer.format(outcome.large.requestsPerSec),
        ms(outcome.large.p50Ms),
        ms(outcome.large.p99Ms),
        String(outcome.small.errors + outcome.large.errors),
        mib(outcome.peakRssBytes),
        `${outcome.small.proxyCpuPercent.toFixed(0)}/${outcome.large.proxyCpuPercent.toFixed(0)}`,
        isBaseline ? 'baseline' : formatRatio(ratio?.small),
        isBaseline ? 'baseline' : formatRatio(ratio?.large),
      ],
    };
  });
  return renderTable(HEADER, rows, 1);
}

/** One `tidegate/<peer> = 2.40x small, 1.90x 16k` line per compared peer that ran. */
export function formatRatioLines(outcomes: readonly PeerOutcome[], baselineId = BASELINE_ID): string[] {
  return ratios(outcomes, baselineId)
    .filter((ratio) => ratio.small !== undefined || ratio.large !== undefined)
    .map(
      (ratio) =>
        `${baselineId}/${ratio.peerId} = ${formatRatio(ratio.small)} small, ${formatRatio(ratio.large)} 16k`,
    );
}

const FAILURE_LINE = /\b(error|alert|emerg|fatal|cannot|failed)\b/i;

/**
 * One line for a failure row: the first line of `text` (what failed), followed by the first later line that
 * names the cause (a child's `Error: ...`, nginx `[emerg]`, HAProxy `[ALERT]`), so the table says why.
 */
export function summarizeFailure(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [first = 'unknown error', ...rest] = lines;
  const cause = rest.find((line) => FAILURE_LINE.test(line));
  return cause === undefined ? first : `${first} ${cause}`;
}

// --- policy table ----------------------------------------------------------------------------------------------

/** tidegate measured with one `load-balance` policy over one endpoint count (64 B responses). */
export interface MeasuredPolicy {
  readonly status: 'measured';
  readonly policy: string;
  readonly endpoints: number;
  readonly result: SizeResult;
  /** Highest resident set size of the gateway during the runs, in bytes. */
  readonly peakRssBytes: number;
}

/** A policy × endpoint count that could not be measured. */
export interface UnavailablePolicy {
  readonly status: 'unavailable';
  readonly policy: string;
  readonly endpoints: number;
  readonly reason: string;
}

/** One row of the policy table. */
export type PolicyOutcome = MeasuredPolicy | UnavailablePolicy;

/**
 * The gateway's CPU time per request, in microseconds: what a policy costs whether or not the gateway's core was
 * saturated (requests/s alone also moves with the load side).
 */
export function cpuMicrosPerRequest(result: SizeResult): number | undefined {
  return result.requestsPerSec > 0 ? (result.proxyCpuPercent / 100 / result.requestsPerSec) * 1e6 : undefined;
}

const POLICY_HEADER = [
  'policy',
  'endpoints',
  'rps',
  'p50 ms',
  'p99 ms',
  'errors',
  'RSS MiB',
  'CPU%',
  'CPU us/req',
  'rps vs fewest endpoints',
] as const;

/**
 * tidegate's throughput per policy and endpoint count, one row per outcome in the given order. The last column
 * divides a row's requests/s by the same policy's at its smallest measured endpoint count: near 1.00x at 1000
 * endpoints is what O(1) selection looks like from outside.
 */
export function formatPolicyTable(outcomes: readonly PolicyOutcome[]): string {
  const fewest = new Map<string, MeasuredPolicy>();
  for (const outcome of outcomes) {
    if (outcome.status !== 'measured') continue;
    const known = fewest.get(outcome.policy);
    if (known === undefined || outcome.endpoints < known.endpoints) fewest.set(outcome.policy, outcome);
  }
  const rows = outcomes.map((outcome) => {
    const label = [outcome.policy, String(outcome.endpoints)];
    if (outcome.status === 'unavailable') return { cells: label, note: `unavailable: ${outcome.reason}` };
    const { result } = outcome;
    const base = fewest.get(outcome.policy);
    const micros = cpuMicrosPerRequest(result);
    return {
      cells: [
        ...label,
        integer.format(result.requestsPerSec),
        ms(result.p50Ms),
        ms(result.p99Ms),
        String(result.errors),
        mib(outcome.peakRssBytes),
        result.proxyCpuPercent.toFixed(0),
        micros === undefined ? '-' : micros.toFixed(1),
        base === undefined || base === outcome ? 'baseline' : formatRatio(rpsRatio(result, base.result)),
      ],
    };
  });
  return renderTable(POLICY_HEADER, rows, 1);
}

// --- picker table ----------------------------------------------------------------------------------------------

/** One policy × endpoint count of the in-process picker micro-benchmark (pickers.ts). */
export interface PickerRow {
  readonly policy: string;
  readonly endpoints: number;
  /** Time to build the picker (maglev's lookup table, the hash ring), ms. */
  readonly buildMs: number;
  readonly picksPerSecond: number;
  /** Nanoseconds per pick, the data plane's onStart/onEnd bookkeeping included. */
  readonly nsPerPick: number;
}

const PICKER_HEADER = [
  'policy',
  'endpoints',
  'build ms',
  'picks/s',
  'ns/pick (pick + onStart/onEnd)',
] as const;

/** The picker micro-benchmark as an aligned table. */
export function formatPickerTable(rows: readonly PickerRow[]): string {
  return renderTable(
    PICKER_HEADER,
    rows.map((row) => ({
      cells: [
        row.policy,
        String(row.endpoints),
        row.buildMs.toFixed(2),
        integer.format(row.picksPerSecond),
        String(row.nsPerPick),
      ],
    })),
    1,
  );
}
