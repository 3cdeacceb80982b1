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

/** Columns after the label that hold numbers: right-aligned. */
const LABEL_COLUMNS = 1;

/**
 * The results as an aligned plain-text table, one row per outcome in the given order. A peer that did not run
 * keeps its row, with `unavailable: <reason>` in place of the figures.
 */
export function formatTable(outcomes: readonly PeerOutcome[], baselineId = BASELINE_ID): string {
  const byPeer = new Map(ratios(outcomes, baselineId).map((ratio) => [ratio.peerId, ratio]));
  const rows: string[][] = [];
  const notes = new Map<number, string>();
  for (const outcome of outcomes) {
    if (outcome.status === 'unavailable') {
      notes.set(rows.length, `unavailable: ${outcome.reason}`);
      rows.push([outcome.label]);
      continue;
    }
    const ratio = byPeer.get(outcome.id);
    const isBaseline = outcome.id === baselineId;
    rows.push([
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
    ]);
  }
  const widths = HEADER.map((title, column) =>
    Math.max(
      title.length,
      ...rows.filter((row) => row.length > column).map((row) => (row[column] ?? '').length),
    ),
  );
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column < LABEL_COLUMNS ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const lines = [render(HEADER), widths.map((width) => '-'.repeat(width)).join('  ')];
  rows.forEach((row, index) => {
    const note = notes.get(index);
    lines.push(note === undefined ? render(row) : `${render(row).padEnd(widths[0] ?? 0)}  ${note}`);
  });
  return lines.join('\n');
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
