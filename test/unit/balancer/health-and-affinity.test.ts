import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancer, endpoints, ips, registry, request, tally } from './balancer-fixture.js';

test('unavailable endpoints receive nothing; health changes act on the live picker without a rebuild', () => {
  const state = registry();
  const list = endpoints(state, ips(4));
  const picker = balancer(state, list, { type: 'round_robin' });
  const [a] = list as [(typeof list)[0]];
  a.state.setActiveHealthy(false);
  assert.equal(tally(() => picker.pick(request(), null), 300).get(a.address), undefined);
  a.state.setActiveHealthy(true);
  assert.equal(tally(() => picker.pick(request(), null), 400).get(a.address), 100);
});

test('panic threshold: below 50% available, every eligible endpoint is used again; 0 disables panic', () => {
  const state = registry();
  const list = endpoints(state, ips(4));
  const picker = balancer(state, list, { type: 'round_robin' });
  for (const endpoint of list.slice(0, 2)) endpoint.state.setEjected(true);
  // 2 of 4 available = 50%: not below the threshold, only the available two.
  assert.equal(tally(() => picker.pick(request(), null), 100).size, 2);
  (list[2] as (typeof list)[0]).state.setEjected(true);
  // 1 of 4 = 25% < 50%: panic, all four.
  assert.equal(tally(() => picker.pick(request(), null), 100).size, 4);
  const strict = balancer(state, list, { type: 'round_robin' }, null, 0);
  assert.deepEqual([...tally(() => strict.pick(request(), null), 100).keys()], ['10.0.0.4']);
  (list[3] as (typeof list)[0]).state.setEjected(true);
  assert.equal(strict.pick(request(), null), null);
  assert.equal(tally(() => picker.pick(request(), null), 100).size, 4);
});

test('terminating-but-serving endpoints are used only when no endpoint is ready (kube-proxy)', () => {
  const state = registry();
  const list = endpoints(state, ips(2)).map((e, i) =>
    i === 0 ? { ...e, ready: false, serving: true, terminating: true } : e,
  );
  const picker = balancer(state, list, { type: 'round_robin' });
  assert.deepEqual([...tally(() => picker.pick(request(), null), 10).keys()], ['10.0.0.2']);
  const onlyTerminating = balancer(state, list.slice(0, 1), { type: 'round_robin' });
  assert.equal(onlyTerminating.pick(request(), null)?.address, '10.0.0.1');
});

test('ClientIP affinity: one client stays on one endpoint, in every process, until its idle timeout', () => {
  let now = 0;
  const affinity = { type: 'client-ip', timeoutSeconds: 10 } as const;
  const a = registry({ monotonic: () => now });
  const b = registry({ monotonic: () => now });
  const pa = balancer(a, endpoints(a, ips(5)), { type: 'least_request' }, affinity);
  const pb = balancer(b, endpoints(b, ips(5)), { type: 'least_request' }, affinity);
  const clients = Array.from({ length: 50 }, (_, i) => `192.168.0.${i + 1}`);
  const first = new Map(clients.map((c) => [c, pa.pick(request(c), null)?.name]));
  assert.ok(new Set(first.values()).size >= 4, 'clients spread over the endpoints');
  for (const client of clients) {
    for (let i = 0; i < 5; i++) assert.equal(pa.pick(request(client), null)?.name, first.get(client));
    // Another process (registry) without shared memory agrees.
    assert.equal(pb.pick(request(client), null)?.name, first.get(client));
  }
  // Scale-up: pinned clients stay where they are until idle for the timeout.
  const grown = balancer(a, endpoints(a, ips(8)), { type: 'least_request' }, affinity);
  now += 5_000;
  for (const client of clients) assert.equal(grown.pick(request(client), null)?.name, first.get(client));
  now += 10_001;
  const fresh = registry({ monotonic: () => now });
  const reference = balancer(fresh, endpoints(fresh, ips(8)), { type: 'least_request' }, affinity);
  for (const client of clients)
    assert.equal(grown.pick(request(client), null)?.name, reference.pick(request(client), null)?.name);
});

test('ClientIP affinity: a pinned endpoint that fails health is replaced; a tried one is avoided', () => {
  const affinity = { type: 'client-ip', timeoutSeconds: 100 } as const;
  const state = registry();
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'round_robin' }, affinity);
  const pinned = picker.pick(request('10.9.9.9'), null);
  assert.ok(pinned !== null);
  assert.notEqual(picker.pick(request('10.9.9.9'), new Set([pinned.name]))?.name, pinned.name);
  assert.equal(picker.pick(request('10.9.9.9'), null)?.name, pinned.name);
  pinned.state.setActiveHealthy(false);
  const moved = picker.pick(request('10.9.9.9'), null);
  assert.ok(moved !== null && moved.name !== pinned.name);
  pinned.state.setActiveHealthy(true);
  assert.equal(picker.pick(request('10.9.9.9'), null)?.name, moved.name, 're-pinned, stays');
});

const cookieAffinity = {
  type: 'cookie',
  mode: 'persistent',
  name: 'route',
  path: '/',
  maxAgeSeconds: 60,
  expiresSeconds: 120,
  secure: true,
  sameSite: 'Lax',
  changeOnFailure: false,
} as const;

test('cookie affinity: the cookie is a keyed hash naming the endpoint in every process sharing the key', () => {
  const state = registry({ now: () => Date.UTC(2030, 0, 2, 3, 4, 5) });
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'round_robin' }, cookieAffinity);
  const first = picker.pick(request(), null);
  assert.ok(first !== null);
  const setCookie = picker.affinityCookie(request(), first);
  assert.ok(setCookie !== null);
  assert.match(
    setCookie,
    /^route=[0-9a-f]{32}; Path=\/; Max-Age=60; Expires=Wed, 02 Jan 2030 03:06:05 GMT; Secure; SameSite=Lax; HttpOnly$/,
  );
  assert.ok(!setCookie.includes(first.address));
  const cookie = setCookie.slice(0, setCookie.indexOf(';'));
  // Round robin would move on; the cookie keeps the client where it is, and no new cookie is sent.
  for (let i = 0; i < 10; i++) {
    const again = picker.pick(request('127.0.0.1', { cookie: `a=b; ${cookie}` }), null);
    assert.equal(again?.name, first.name);
    assert.equal(picker.affinityCookie(request('127.0.0.1', { cookie }), first), null);
  }
  // Another process with the same key honours it; one with another key does not know the value.
  const other = registry();
  const otherPicker = balancer(other, endpoints(other, ips(3)), { type: 'round_robin' }, cookieAffinity);
  for (let i = 0; i < 5; i++)
    assert.equal(otherPicker.pick(request('127.0.0.1', { cookie }), null)?.name, first.name);
  const foreign = registry({ affinityKey: 'another' });
  const foreignList = endpoints(foreign, ips(3));
  const foreignPicker = balancer(foreign, foreignList, { type: 'round_robin' }, cookieAffinity);
  assert.notEqual(
    foreignPicker.affinityCookie(request(), foreignList[0] as (typeof foreignList)[0]),
    setCookie,
  );
});

test('cookie affinity: failover when the pinned endpoint is unavailable, and the cookie is reset', () => {
  const state = registry();
  const list = endpoints(state, ips(3));
  const picker = balancer(state, list, { type: 'round_robin' }, cookieAffinity);
  const pinned = picker.pick(request(), null);
  assert.ok(pinned !== null);
  const setCookie = picker.affinityCookie(request(), pinned) as string;
  const cookie = setCookie.slice(0, setCookie.indexOf(';'));
  pinned.state.setEjected(true);
  const replacement = picker.pick(request('127.0.0.1', { cookie }), null);
  assert.ok(replacement !== null && replacement.name !== pinned.name);
  const reset = picker.affinityCookie(request('127.0.0.1', { cookie }), replacement);
  assert.ok(reset !== null && reset !== setCookie);
  // Without change-on-failure a retry stays on the pinned endpoint; with it, it moves.
  pinned.state.setEjected(false);
  assert.equal(picker.pick(request('127.0.0.1', { cookie }), new Set([pinned.name]))?.name, pinned.name);
  const changing = balancer(
    state,
    list,
    { type: 'round_robin' },
    { ...cookieAffinity, changeOnFailure: true },
  );
  assert.notEqual(changing.pick(request('127.0.0.1', { cookie }), new Set([pinned.name]))?.name, pinned.name);
});
