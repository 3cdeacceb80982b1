import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBenchOptions } from '../../../bench/options.js';

const PEERS = ['tidegate', 'http-proxy', 'nginx', 'haproxy'];

describe('parseBenchOptions', () => {
  test('defaults: 10 s runs after a 3 s warm-up, 50 connections, every peer in table order', () => {
    assert.deepEqual(parseBenchOptions({}, PEERS), {
      durationSeconds: 10,
      warmupSeconds: 3,
      connections: 50,
      peerIds: PEERS,
    });
  });

  test('BENCH_DURATION and BENCH_CONNECTIONS override; the warm-up stays between 1 and 3 s', () => {
    const short = parseBenchOptions({ BENCH_DURATION: '2', BENCH_CONNECTIONS: '8' }, PEERS);
    assert.equal(short.durationSeconds, 2);
    assert.equal(short.warmupSeconds, 1);
    assert.equal(short.connections, 8);
    assert.equal(parseBenchOptions({ BENCH_DURATION: '60' }, PEERS).warmupSeconds, 3);
  });

  test('BENCH_ONLY selects peers, keeps table order, and tolerates spaces and empty items', () => {
    const { peerIds } = parseBenchOptions({ BENCH_ONLY: ' nginx, ,tidegate ' }, PEERS);
    assert.deepEqual(peerIds, ['tidegate', 'nginx']);
  });

  test('an empty BENCH_ONLY means every peer', () => {
    assert.deepEqual(parseBenchOptions({ BENCH_ONLY: '' }, PEERS).peerIds, PEERS);
  });

  test('an unknown peer id is an error naming it and the known ids', () => {
    assert.throws(
      () => parseBenchOptions({ BENCH_ONLY: 'nginx,envoy' }, PEERS),
      /unknown peer\(s\) envoy; known: tidegate/,
    );
  });

  test('malformed numbers are errors, not silently replaced by defaults', () => {
    for (const value of ['0', '-5', '1.5', 'ten']) {
      assert.throws(() => parseBenchOptions({ BENCH_DURATION: value }, PEERS), /BENCH_DURATION/);
      assert.throws(() => parseBenchOptions({ BENCH_CONNECTIONS: value }, PEERS), /BENCH_CONNECTIONS/);
    }
  });
});
