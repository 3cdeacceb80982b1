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
      sections: ['peers', 'policies', 'pickers'],
      policies: ['round_robin', 'least_request', 'ewma', 'maglev'],
      endpointCounts: [3, 1000],
      upstream: undefined,
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

  test('BENCH_SECTIONS selects tables in output order; an unknown section is an error', () => {
    assert.deepEqual(parseBenchOptions({ BENCH_SECTIONS: 'pickers, peers' }, PEERS).sections, [
      'peers',
      'pickers',
    ]);
    assert.throws(
      () => parseBenchOptions({ BENCH_SECTIONS: 'peers,policy' }, PEERS),
      /BENCH_SECTIONS: unknown section\(s\) policy; known: peers, policies, pickers/,
    );
  });

  test("BENCH_POLICIES takes any load-balance name, in the translator's order", () => {
    assert.deepEqual(parseBenchOptions({ BENCH_POLICIES: 'maglev,ring_hash,round_robin' }, PEERS).policies, [
      'round_robin',
      'ring_hash',
      'maglev',
    ]);
    assert.throws(
      () => parseBenchOptions({ BENCH_POLICIES: 'fastest' }, PEERS),
      /unknown policy\(s\) fastest/,
    );
  });

  test('BENCH_ENDPOINTS: distinct ascending counts, at most one EndpointSlice (1000)', () => {
    assert.deepEqual(parseBenchOptions({ BENCH_ENDPOINTS: '100, 3,100' }, PEERS).endpointCounts, [3, 100]);
    assert.throws(() => parseBenchOptions({ BENCH_ENDPOINTS: '3,1001' }, PEERS), /1001 is above 1000/);
    assert.throws(() => parseBenchOptions({ BENCH_ENDPOINTS: '0' }, PEERS), /BENCH_ENDPOINTS/);
  });

  test('BENCH_UPSTREAM is nginx or node', () => {
    assert.equal(parseBenchOptions({ BENCH_UPSTREAM: 'node' }, PEERS).upstream, 'node');
    assert.throws(() => parseBenchOptions({ BENCH_UPSTREAM: 'caddy' }, PEERS), /unknown upstream "caddy"/);
  });
});
