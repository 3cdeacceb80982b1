import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAutocannonOutput, parseWrkOutput } from '../../../bench/wrk.js';

/** Real `wrk -t1 -c10 -d1s --latency` output (wrk 4.1.0). */
const WRK_CLEAN = `Running 1s test @ http://127.0.0.1:18181/small
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms    2.33ms  31.08ms   90.24%
    Req/Sec    20.59k    14.88k   44.08k    60.00%
  Latency Distribution
     50%  246.00us
     75%    1.30ms
     90%    3.50ms
     99%   10.39ms
  20484 requests in 1.01s, 4.47MB read
Requests/sec:  20367.62
Transfer/sec:      4.45MB
`;

/** The same shape with the lines wrk adds when requests fail. */
const WRK_FAILING = `Running 10s test @ http://127.0.0.1:8080/16k
  2 threads and 50 connections
  Latency Distribution
     50%    1.50s
     75%    1.70s
     90%    1.90s
     99%    2.00s
  1200 requests in 10.00s, 19.00MB read
  Socket errors: connect 0, read 3, write 1, timeout 7
  Non-2xx or 3xx responses: 20
Requests/sec:    120.00
Transfer/sec:      1.90MB
`;

describe('parseWrkOutput', () => {
  test('reads requests/s, the request count, and p50/p99 converted to milliseconds from any unit', () => {
    assert.deepEqual(parseWrkOutput(WRK_CLEAN), {
      requestsPerSec: 20367.62,
      p50Ms: 0.246,
      p99Ms: 10.39,
      requests: 20484,
      errors: 0,
    });
  });

  test('counts socket errors, timeouts and non-2xx/3xx responses as errors; seconds become milliseconds', () => {
    const result = parseWrkOutput(WRK_FAILING);
    assert.equal(result.errors, 3 + 1 + 7 + 20);
    assert.equal(result.p50Ms, 1500);
    assert.equal(result.p99Ms, 2000);
    assert.equal(result.requestsPerSec, 120);
  });

  test('fails loudly on output without a latency distribution (wrk run without --latency)', () => {
    const withoutLatency = WRK_CLEAN.replace(/ {2}Latency Distribution[\s\S]*?(?= {2}20484)/, '');
    assert.throws(() => parseWrkOutput(withoutLatency), /p50/);
  });

  test('fails loudly when wrk could not connect at all', () => {
    assert.throws(
      () => parseWrkOutput('unable to connect to 127.0.0.1:18182 Connection refused\n'),
      /Requests\/sec/,
    );
  });
});

describe('parseAutocannonOutput', () => {
  const json = {
    url: 'http://127.0.0.1:18181/small',
    connections: 5,
    errors: 2,
    timeouts: 3,
    non2xx: 4,
    latency: { average: 0.11, p50: 1, p99: 3, p99_9: 8 },
    requests: { average: 18056, total: 18060, sent: 18065 },
  };

  test('reads the JSON line autocannon -j prints last, errors being errors + timeouts + non-2xx', () => {
    const text = `Running 1s test @ http://127.0.0.1:18181/small\n${JSON.stringify(json)}\n`;
    assert.deepEqual(parseAutocannonOutput(text), {
      requestsPerSec: 18056,
      p50Ms: 1,
      p99Ms: 3,
      requests: 18060,
      errors: 9,
    });
  });

  test('throws on output that is not autocannon JSON', () => {
    assert.throws(() => parseAutocannonOutput('Error: connect ECONNREFUSED\n'));
  });
});
