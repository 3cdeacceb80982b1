import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cpuMicrosPerRequest,
  formatPickerTable,
  formatPolicyTable,
  formatRatio,
  formatRatioLines,
  formatTable,
  type MeasuredPeer,
  type PeerOutcome,
  type PickerRow,
  type PolicyOutcome,
  ratios,
  type SizeResult,
  summarizeFailure,
} from '../../../bench/report.js';

function size(requestsPerSec: number, errors: number, proxyCpuPercent: number): SizeResult {
  return {
    requestsPerSec,
    p50Ms: 1.234,
    p99Ms: 9.876,
    requests: requestsPerSec * 10,
    errors,
    proxyCpuPercent,
  };
}

function measured(id: string, small: number, large: number, errors = 0): MeasuredPeer {
  return {
    status: 'measured',
    id,
    label: `${id} label`,
    version: '1.0',
    small: size(small, errors, 99.6),
    large: size(large, 0, 50.2),
    peakRssBytes: 48 * 1024 * 1024,
  };
}

const OUTCOMES: PeerOutcome[] = [
  measured('tidegate', 24_000, 12_000),
  measured('http-proxy', 10_000, 8_000, 3),
  { status: 'unavailable', id: 'haproxy', label: 'HAProxy', reason: 'haproxy is not installed' },
];

describe('ratios', () => {
  test('divide the baseline requests/s by each peer, per size; undefined where a side did not run', () => {
    assert.deepEqual(ratios(OUTCOMES), [
      { peerId: 'http-proxy', label: 'http-proxy label', small: 2.4, large: 1.5 },
      { peerId: 'haproxy', label: 'HAProxy', small: undefined, large: undefined },
    ]);
  });

  test('every ratio is undefined when the baseline itself did not run', () => {
    const withoutBaseline: PeerOutcome[] = [
      { status: 'unavailable', id: 'tidegate', label: 'tidegate', reason: 'not built' },
      measured('nginx', 30_000, 20_000),
    ];
    assert.deepEqual(ratios(withoutBaseline), [
      { peerId: 'nginx', label: 'nginx label', small: undefined, large: undefined },
    ]);
  });

  test('a peer that served nothing gets no ratio instead of Infinity', () => {
    const [ratio] = ratios([measured('tidegate', 100, 100), measured('broken', 0, 50)]);
    assert.equal(ratio?.small, undefined);
    assert.equal(ratio?.large, 2);
  });
});

describe('formatRatio and formatRatioLines', () => {
  test('two decimals and an x, or a dash', () => {
    assert.equal(formatRatio(2.4), '2.40x');
    assert.equal(formatRatio(undefined), '-');
  });

  test('one line per compared peer that ran, in the issue note wording', () => {
    assert.deepEqual(formatRatioLines(OUTCOMES), ['tidegate/http-proxy = 2.40x small, 1.50x 16k']);
  });
});

describe('formatTable', () => {
  const lines = formatTable(OUTCOMES).split('\n');

  test('a header, a rule, then one row per outcome in order', () => {
    assert.equal(lines.length, 2 + OUTCOMES.length);
    assert.match(lines[0] ?? '', /^peer\s+small rps\s+p50 ms\s+p99 ms\s+16k rps/);
    assert.match(lines[1] ?? '', /^-+ {2}-+/);
    assert.match(lines[2] ?? '', /^tidegate label/);
    assert.match(lines[3] ?? '', /^http-proxy label/);
    assert.match(lines[4] ?? '', /^HAProxy/);
  });

  test('rows carry the figures: rps with separators, ms with 2 decimals, summed errors, MiB, CPU, ratios', () => {
    const cells = (lines[3] ?? '').split(/\s{2,}/);
    assert.deepEqual(cells, [
      'http-proxy label',
      '10,000',
      '1.23',
      '9.88',
      '8,000',
      '1.23',
      '9.88',
      '3',
      '48.0',
      '100/50',
      '2.40x',
      '1.50x',
    ]);
  });

  test('the baseline row is marked as such instead of 1.00x', () => {
    assert.match(lines[2] ?? '', /baseline\s+baseline$/);
  });

  test('a peer that did not run keeps its row with the reason', () => {
    assert.match(lines[4] ?? '', /^HAProxy\s+unavailable: haproxy is not installed$/);
  });

  test('columns line up: every figure row is as wide as the header', () => {
    assert.equal((lines[2] ?? '').length, (lines[0] ?? '').length);
    assert.equal((lines[3] ?? '').length, (lines[0] ?? '').length);
  });
});

describe('summarizeFailure', () => {
  test('keeps the first line and adds the first line that names the cause', () => {
    const text = `haproxy exited (1) before it was ready:
[NOTICE]   (8515) : haproxy version is 2.6.12
[ALERT]    (8515) : Cannot raise FD limit to 20014, limit is 20000.
`;
    assert.equal(
      summarizeFailure(text),
      'haproxy exited (1) before it was ready: [ALERT]    (8515) : Cannot raise FD limit to 20014, limit is 20000.',
    );
  });

  test('a one-line message stays as it is; an empty one says so', () => {
    assert.equal(
      summarizeFailure('wrk did not finish within 40000 ms'),
      'wrk did not finish within 40000 ms',
    );
    assert.equal(summarizeFailure(''), 'unknown error');
  });
});

describe('formatPolicyTable', () => {
  const policy = (name: string, endpoints: number, rps: number): PolicyOutcome => ({
    status: 'measured',
    policy: name,
    endpoints,
    result: size(rps, 0, 80),
    peakRssBytes: 64 * 1024 * 1024,
  });

  test('one row per policy and count, compared with the same policy at its fewest endpoints', () => {
    const table = formatPolicyTable([
      policy('round_robin', 3, 20_000),
      policy('round_robin', 1000, 16_000),
      { status: 'unavailable', policy: 'maglev', endpoints: 3, reason: 'failed: boom' },
      policy('maglev', 1000, 10_000),
    ]);
    const lines = table.split('\n');
    assert.match(
      lines[0] ?? '',
      /^policy\s+endpoints\s+rps\s+p50 ms\s+p99 ms\s+errors\s+RSS MiB\s+CPU%\s+CPU us\/req/,
    );
    assert.match(
      lines[2] ?? '',
      /^round_robin\s+3\s+20,000\s+1\.23\s+9\.88\s+0\s+64\.0\s+80\s+40\.0\s+baseline$/,
    );
    assert.match(lines[3] ?? '', /^round_robin\s+1000\s+16,000 .* 50\.0\s+0\.80x$/);
    assert.match(lines[4] ?? '', /^maglev\s+3\s+unavailable: failed: boom$/);
    // maglev's 3-endpoint run failed: its 1000-endpoint row is its own baseline.
    assert.match(lines[5] ?? '', /^maglev\s+1000\s+10,000 .* baseline$/);
  });

  test('CPU time per request is the CPU share over the request rate', () => {
    assert.equal(cpuMicrosPerRequest(size(20_000, 0, 80)), 40);
    assert.equal(cpuMicrosPerRequest(size(0, 0, 80)), undefined);
  });
});

describe('formatPickerTable', () => {
  test('aligned columns with thousands separators', () => {
    const rows: PickerRow[] = [
      { policy: 'maglev', endpoints: 3, buildMs: 1.5, picksPerSecond: 25_000_000, nsPerPick: 40 },
      { policy: 'maglev', endpoints: 1000, buildMs: 12.25, picksPerSecond: 24_000_000, nsPerPick: 42 },
    ];
    assert.deepEqual(formatPickerTable(rows).split('\n'), [
      'policy  endpoints  build ms     picks/s  ns/pick (pick + onStart/onEnd)',
      '------  ---------  --------  ----------  ------------------------------',
      'maglev          3      1.50  25,000,000                              40',
      'maglev       1000     12.25  24,000,000                              42',
    ]);
  });
});
