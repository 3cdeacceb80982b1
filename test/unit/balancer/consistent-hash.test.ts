import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HashKeyPart, LoadBalancerPolicy } from '../../../src/ir/types.js';
import { balancer, endpoints, ips, registry, request } from './balancer-fixture.js';

const KEYS = 20_000;
const byUser: readonly HashKeyPart[] = [{ type: 'header', name: 'x-user' }];

function assignment(policy: LoadBalancerPolicy, count: number, skip = -1): Map<string, string> {
  const state = registry();
  const specs = ips(count).filter((_, i) => i !== skip);
  const picker = balancer(state, endpoints(state, specs), policy);
  const out = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) {
    const key = `user-${i}`;
    out.set(key, picker.pick(request('127.0.0.1', { 'x-user': key }), null)?.address ?? 'null');
  }
  return out;
}

for (const type of ['ring_hash', 'maglev'] as const) {
  const policy: LoadBalancerPolicy = { type, hashBy: byUser };

  test(`${type}: the same endpoint set gives the same answer in independently built pickers (processes, replicas)`, () => {
    assert.deepEqual(assignment(policy, 10), assignment(policy, 10));
  });

  test(`${type}: removing or adding one of N endpoints moves about 1/N of the keys`, () => {
    const n = 10;
    const full = assignment(policy, n);
    const without = assignment(policy, n, 4);
    const removed = ips(n)[4]?.ip;
    let moved = 0;
    let movedFromOthers = 0;
    for (const [key, address] of full) {
      if (without.get(key) === address) continue;
      moved++;
      if (address !== removed) movedFromOthers++;
    }
    // Keys of the removed endpoint must move (≈ 1/N); keys of the others barely (maglev: a few percent).
    assert.ok(moved / KEYS < 1.5 / n, `moved ${moved} of ${KEYS}`);
    assert.ok(
      movedFromOthers / KEYS < (type === 'ring_hash' ? 0.0001 : 0.03),
      `others moved ${movedFromOthers}`,
    );
    // Adding it back is the same change in reverse.
    const eleven = assignment(policy, n + 1);
    let movedOnAdd = 0;
    for (const [key, address] of full) if (eleven.get(key) !== address) movedOnAdd++;
    assert.ok(movedOnAdd / KEYS < 1.5 / (n + 1), `moved on add ${movedOnAdd}`);
  });

  test(`${type}: an unavailable endpoint's keys go elsewhere, the others stay; they return with it`, () => {
    const state = registry();
    const list = endpoints(state, ips(5));
    const picker = balancer(state, list, policy);
    const pick = (key: string) => picker.pick(request('127.0.0.1', { 'x-user': key }), null)?.address;
    const before = new Map(Array.from({ length: 2000 }, (_, i) => [`k${i}`, pick(`k${i}`)] as const));
    const down = list[2] as (typeof list)[number];
    down.state.setEjected(true);
    for (const [key, address] of before) {
      const now = pick(key);
      assert.notEqual(now, down.address);
      if (address !== down.address) assert.equal(now, address);
    }
    down.state.setEjected(false);
    for (const [key, address] of before) assert.equal(pick(key), address);
  });
}

test('upstream-hash-by parts: client address, cookie, path, request URI and query argument', () => {
  const state = registry();
  const list = endpoints(state, ips(50));
  const parts: readonly HashKeyPart[] = [
    { type: 'client-ip' },
    { type: 'cookie', name: 'id' },
    { type: 'literal', value: '|' },
    { type: 'request-uri' },
    { type: 'query', name: 'tenant' },
  ];
  const picker = balancer(state, list, { type: 'ring_hash', hashBy: parts });
  const pick = (ip: string, cookie: string, target: string) =>
    picker.pick(request(ip, { cookie }, target), null)?.name;
  // Same inputs, same endpoint; varying each input spreads over several endpoints.
  assert.equal(pick('10.1.1.1', 'a=1; id=7', '/x?tenant=t1'), pick('10.1.1.1', 'id=7', '/x?tenant=t1'));
  const spread = (vary: (i: number) => string | undefined) =>
    new Set(Array.from({ length: 40 }, (_, i) => vary(i))).size;
  assert.ok(spread((i) => pick(`10.1.1.${i}`, 'id=7', '/x')) > 10);
  assert.ok(spread((i) => pick('10.1.1.1', `id=${i}`, '/x')) > 10);
  assert.ok(spread((i) => pick('10.1.1.1', 'id=7', `/x?tenant=t${i}`)) > 10);
});
