import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadBalancerPolicy } from '../../../src/ir/types.js';
import { seeded } from '../../support/seeded-random.js';
import { balancer, endpoints, ips, registry, request, tally } from './balancer-fixture.js';

const N = 30_000;
/** Five standard deviations of a binomial share of 1/3 over N picks: a correct picker never fails this. */
const TOLERANCE = 5 * Math.sqrt(N * (1 / 3) * (2 / 3));

const hashBy = [{ type: 'header', name: 'x-user' }] as const;
const POLICIES: readonly LoadBalancerPolicy[] = [
  { type: 'round_robin' },
  { type: 'weighted_round_robin' },
  { type: 'random' },
  { type: 'least_request' },
  { type: 'ewma' },
  { type: 'ring_hash', hashBy },
  { type: 'maglev', hashBy },
];

for (const policy of POLICIES) {
  test(`${policy.type}: three equal endpoints share the traffic within statistical bounds`, () => {
    const state = registry();
    const list = endpoints(state, ips(3));
    const picker = balancer(state, list, policy);
    const counts = tally((i) => picker.pick(request('127.0.0.1', { 'x-user': `user-${i}` }), null), N);
    assert.equal(counts.size, 3);
    // A ring's shares also vary with where the points fall (≈ 1/√points per endpoint), beyond sampling noise.
    const tolerance = policy.type === 'ring_hash' ? 0.05 * N : TOLERANCE;
    for (const [address, count] of counts)
      assert.ok(Math.abs(count - N / 3) < tolerance, `${address} got ${count} of ${N}`);
  });

  test(`${policy.type}: a tried endpoint is avoided while another exists; none eligible gives null`, () => {
    const state = registry();
    const list = endpoints(state, ips(3));
    const picker = balancer(state, list, policy);
    for (let i = 0; i < 200; i++) {
      const req = request('127.0.0.1', { 'x-user': `user-${i}` });
      const first = picker.pick(req, null);
      assert.ok(first !== null);
      const second = picker.pick(req, new Set([first.name]));
      assert.ok(second !== null && second.name !== first.name);
      const third = picker.pick(req, new Set([first.name, second.name]));
      assert.ok(third !== null && third.name !== first.name && third.name !== second.name);
      // All tried: still an answer (any eligible one).
      assert.ok(picker.pick(req, new Set(list.map((e) => e.name))) !== null);
    }
    const none = balancer(state, endpoints(state, [{ ip: '10.0.0.9', ready: false }]), policy);
    assert.equal(none.pick(request(), null), null);
  });
}

test('weighted_round_robin honours weights exactly and interleaves them (nginx smooth WRR)', () => {
  const state = registry();
  const list = endpoints(state, [
    { ip: '10.0.0.1', weight: 5 },
    { ip: '10.0.0.2', weight: 1 },
    { ip: '10.0.0.3', weight: 1 },
  ]);
  const picker = balancer(state, list, { type: 'weighted_round_robin' });
  const sequence = Array.from({ length: 7 }, () => picker.pick(request(), null)?.address.slice(-1)).join('');
  assert.equal(sequence, '1121311');
  const counts = tally(() => picker.pick(request(), null), 7000);
  assert.deepEqual(Object.fromEntries(counts), { '10.0.0.1': 5000, '10.0.0.2': 1000, '10.0.0.3': 1000 });
});

test('least_request steers away from the endpoint with many requests in flight', () => {
  const state = registry();
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'least_request' });
  (list[0] as (typeof list)[number]).state.inFlight = 50;
  const counts = tally(() => picker.pick(request(), null), 3000);
  // Power of two choices: the busy endpoint only wins when drawn twice, which distinct draws never do.
  assert.equal(counts.get('10.0.0.1') ?? 0, 0);
});

test('ewma steers away from a slow endpoint and comes back as it recovers', () => {
  let now = 0;
  const state = registry({ monotonic: () => now });
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'ewma' });
  const [slow, fast1, fast2] = list as [(typeof list)[0], (typeof list)[0], (typeof list)[0]];
  for (const endpoint of [fast1, fast2]) state.ended(endpoint.state, 'success', 5);
  state.ended(slow.state, 'success', 500);
  const slowShare = (tally(() => picker.pick(request(), null), 3000).get(slow.address) ?? 0) / 3000;
  assert.equal(slowShare, 0);
  // Fast answers from the slow endpoint decay its peak EWMA (τ = 10 s).
  for (let i = 0; i < 20; i++) {
    now += 2000;
    state.ended(slow.state, 'success', 5);
  }
  assert.ok(slow.state.ewmaMs < 20, `decayed to ${slow.state.ewmaMs}`);
  // Now the others slow down (peak: at once) and the recovered endpoint takes over.
  for (const endpoint of [fast1, fast2]) state.ended(endpoint.state, 'success', 50);
  const recovered = (tally(() => picker.pick(request(), null), 3000).get(slow.address) ?? 0) / 3000;
  assert.ok(recovered > 0.5, `recovered endpoint share ${recovered}`);
});

test('random uses the injected source: same seed, same sequence', () => {
  const a = registry({ random: seeded(7) });
  const b = registry({ random: seeded(7) });
  const pa = balancer(a, endpoints(a, ips(5)), { type: 'random' });
  const pb = balancer(b, endpoints(b, ips(5)), { type: 'random' });
  for (let i = 0; i < 100; i++) assert.equal(pa.pick(request(), null)?.name, pb.pick(request(), null)?.name);
});

test('round_robin continues its rotation across a rebuilt table', () => {
  const state = registry();
  const first = balancer(state, endpoints(state, ips(3)), { type: 'round_robin' });
  assert.equal(first.pick(request(), null)?.address, '10.0.0.1');
  const second = balancer(state, endpoints(state, ips(3)), { type: 'round_robin' });
  assert.equal(second.pick(request(), null)?.address, '10.0.0.2');
});
