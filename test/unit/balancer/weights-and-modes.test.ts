import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndpointSetCache } from '../../../src/balancer/endpoint-set-cache.js';
import { maglevTable } from '../../../src/balancer/maglev.js';
import { HashRing } from '../../../src/balancer/ring-hash.js';
import type { CookieAffinity } from '../../../src/ir/types.js';
import type { RuntimeEndpoint } from '../../../src/runtime/table.js';
import { BACKEND, balancer, endpoints, ips, registry, request, tally } from './balancer-fixture.js';

const sessionCookie = (mode: CookieAffinity['mode']): CookieAffinity => ({
  type: 'cookie',
  mode,
  name: 'session',
  path: '/',
  maxAgeSeconds: null,
  expiresSeconds: null,
  secure: false,
  sameSite: null,
  changeOnFailure: false,
});

/** Opens `count` sessions on a backend of `before` endpoints, scales it to `after` (a reload), and replays them. */
function scaleUp(mode: CookieAffinity['mode'], before: number, after: number, count: number) {
  const state = registry();
  const small = balancer(state, endpoints(state, ips(before)), { type: 'round_robin' }, sessionCookie(mode));
  const sessions = Array.from({ length: count }, () => {
    const endpoint = small.pick(request(), null) as RuntimeEndpoint;
    const setCookie = small.affinityCookie(request(), endpoint) as string;
    return { cookie: setCookie.slice(0, setCookie.indexOf(';')), address: endpoint.address, setCookie };
  });
  const large = balancer(state, endpoints(state, ips(after)), { type: 'round_robin' }, sessionCookie(mode));
  const moves = sessions.map((session) => {
    const now = large.pick(request('127.0.0.1', { cookie: session.cookie }), null) as RuntimeEndpoint;
    return {
      from: session.address,
      to: now.address,
      newCookie: large.affinityCookie(request('127.0.0.1', { cookie: session.cookie }), now),
    };
  });
  return { sessions, moves, old: new Set(ips(before).map((spec) => spec.ip)) };
}

test('cookie affinity, balanced: the policy places new sessions; the session key holds them', () => {
  const { sessions, moves } = scaleUp('balanced', 4, 4, 400);
  assert.match(sessions[0]?.setCookie ?? '', /^session=[0-9a-f]{8}; Path=\/; HttpOnly$/);
  // Round robin placed them: exactly 100 per endpoint.
  assert.deepEqual(
    [...tally((i) => ({ address: sessions[i]?.address }) as RuntimeEndpoint, 400).values()],
    [100, 100, 100, 100],
  );
  for (const move of moves) {
    assert.equal(move.to, move.from);
    assert.equal(move.newCookie, null);
  }
});

test('cookie affinity, balanced: a scale-up from 4 to 8 endpoints moves about half the sessions, only to new ones', () => {
  const { moves, old } = scaleUp('balanced', 4, 8, 4000);
  let moved = 0;
  for (const move of moves) {
    if (move.to === move.from) continue;
    moved++;
    assert.ok(!old.has(move.to), `a session moved between old endpoints (${move.from} → ${move.to})`);
    // The key now leads to the new endpoint by itself: no new cookie.
    assert.equal(move.newCookie, null);
  }
  // ingress-nginx: roughly (n - c) / n of the sessions move, here 4/8.
  assert.ok(moved > 4000 * 0.4 && moved < 4000 * 0.6, `${moved} of 4000 moved`);
});

test('cookie affinity, persistent: a scale-up moves no session', () => {
  const { moves } = scaleUp('persistent', 4, 8, 400);
  for (const move of moves) {
    assert.equal(move.to, move.from);
    assert.equal(move.newCookie, null);
  }
});

test('cookie affinity, balanced: an unavailable endpoint sends its sessions to the policy, with a new key', () => {
  const state = registry();
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'round_robin' }, sessionCookie('balanced'));
  const pinned = picker.pick(request(), null) as RuntimeEndpoint;
  const cookie = (picker.affinityCookie(request(), pinned) as string).split(';')[0] as string;
  pinned.state.setEjected(true);
  const moved = picker.pick(request('127.0.0.1', { cookie }), null) as RuntimeEndpoint;
  assert.notEqual(moved.name, pinned.name);
  const renewed = picker.affinityCookie(request('127.0.0.1', { cookie }), moved) as string;
  assert.match(renewed, /^session=[0-9a-f]{8};/);
  const next = renewed.split(';')[0] as string;
  pinned.state.setEjected(false);
  // The new key leads to the new endpoint for good; an unknown value is a new session.
  for (let i = 0; i < 5; i++)
    assert.equal(picker.pick(request('127.0.0.1', { cookie: next }), null)?.name, moved.name);
  assert.ok(picker.pick(request('127.0.0.1', { cookie: 'session=not-a-key' }), null) !== null);
});

test('least_request with weights: at rest the shares follow the weights; under load, in-flight / weight decides', () => {
  const state = registry();
  const list = endpoints(state, [
    { ip: '10.0.0.1', weight: 1 },
    { ip: '10.0.0.2', weight: 2 },
    { ip: '10.0.0.3', weight: 5 },
  ]);
  const picker = balancer(state, list, { type: 'least_request' });
  const counts = tally(() => picker.pick(request(), null), 80_000);
  // Expected 10k / 20k / 50k: within 5% of each.
  for (const [ip, share] of [
    ['10.0.0.1', 10_000],
    ['10.0.0.2', 20_000],
    ['10.0.0.3', 50_000],
  ] as const) {
    const got = counts.get(ip) ?? 0;
    assert.ok(Math.abs(got - share) < share * 0.05, `${ip}: ${got}, expected ~${share}`);
  }
  // The heavy endpoint with 10 in flight (2 per unit of weight) loses to the others with 1 per unit: 1 and 2 in
  // flight, although it has the most room in absolute numbers.
  const [light, middle, heavy] = list as [RuntimeEndpoint, RuntimeEndpoint, RuntimeEndpoint];
  heavy.state.inFlight = 10;
  light.state.inFlight = 1;
  middle.state.inFlight = 2;
  for (let i = 0; i < 50; i++) {
    const chosen = picker.pick(request(), null);
    assert.ok(chosen !== null);
    if (chosen.name === heavy.name) {
      assert.fail('the endpoint with more in flight per unit of weight was chosen over a lighter one');
    }
  }
});

test('least_request with equal weights keeps uniform draws (the seeded sequence is unchanged by weighting)', () => {
  const state = registry();
  const picker = balancer(state, endpoints(state, ips(4)), { type: 'least_request' });
  const counts = tally(() => picker.pick(request(), null), 40_000);
  for (const count of counts.values()) assert.ok(Math.abs(count - 10_000) < 600, `${count}`);
});

test('maglev with weights: table slots and keys follow the weights; equal weights give equal shares', () => {
  const state = registry();
  const list = endpoints(state, [
    { ip: '10.0.0.1', weight: 1 },
    { ip: '10.0.0.2', weight: 3 },
    { ip: '10.0.0.3', weight: 6 },
  ]);
  const slots = new Map<number, number>();
  for (const owner of maglevTable(list)) slots.set(owner, (slots.get(owner) ?? 0) + 1);
  const size = 65_537;
  for (const [owner, weight] of [
    [0, 1],
    [1, 3],
    [2, 6],
  ] as const) {
    const share = (slots.get(owner) ?? 0) / size;
    assert.ok(Math.abs(share - weight / 10) < 0.005, `endpoint ${owner}: ${share}`);
  }
  const picker = balancer(state, list, { type: 'maglev', hashBy: [{ type: 'header', name: 'x-user' }] });
  const counts = tally((i) => picker.pick(request('127.0.0.1', { 'x-user': `u${i}` }), null), 50_000);
  assert.ok(Math.abs((counts.get('10.0.0.3') ?? 0) - 30_000) < 1_500, `heavy: ${counts.get('10.0.0.3')}`);
  assert.ok(Math.abs((counts.get('10.0.0.1') ?? 0) - 5_000) < 750, `light: ${counts.get('10.0.0.1')}`);
  const equal = new Map<number, number>();
  for (const owner of maglevTable(endpoints(registry(), ips(5))))
    equal.set(owner, (equal.get(owner) ?? 0) + 1);
  for (const count of equal.values()) assert.ok(Math.abs(count - size / 5) <= 1, `${count}`);
});

test('ring and table are cached per backend: an unchanged endpoint set reuses them, a changed one rebuilds', () => {
  const state = registry();
  const backend = state.backend(BACKEND);
  const first = HashRing.for(backend, endpoints(state, ips(50)));
  // A reload compiles new endpoint objects for the same set.
  assert.equal(HashRing.for(backend, endpoints(state, ips(50))).ring, first.ring);
  const reweighted = ips(50).map((spec, i) => (i === 7 ? { ...spec, weight: 2 } : spec));
  assert.notEqual(HashRing.for(backend, endpoints(state, reweighted)).ring, first.ring);
  assert.notEqual(HashRing.for(backend, endpoints(state, ips(51))).ring, first.ring);
  let builds = 0;
  const cache = new EndpointSetCache((list) => {
    builds++;
    return list.length;
  });
  cache.get(backend, endpoints(state, ips(3)));
  cache.get(backend, endpoints(state, ips(3)));
  assert.equal(builds, 1);
  cache.get(registry().backend(BACKEND), endpoints(state, ips(3)));
  assert.equal(builds, 2, 'another backend state has its own entry');
});
