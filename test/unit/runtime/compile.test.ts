import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import type { Backend, Certificate, IR, Route, RoutePolicy } from '../../../src/ir/types.js';
import { compile } from '../../../src/runtime/compile.js';
import type { PickRequest, RuntimeTable } from '../../../src/runtime/table.js';

const source = { kind: 'Ingress', namespace: 'default', name: 'web' };
const policy: RoutePolicy = {
  rewrite: null,
  httpsRedirect: null,
  maxBodyBytes: null,
  timeouts: { connectMs: 5000, readMs: 60000, sendMs: 60000 },
  upstreamProtocol: 'http',
};
const request: PickRequest = { clientAddress: '127.0.0.1', path: '/', target: '/', headers: {} };

function backend(
  name: string,
  addresses: readonly { ip: string; ready?: boolean; terminating?: boolean; serving?: boolean }[],
): Backend {
  return {
    name,
    source: { kind: 'Service', namespace: 'default', name: name.split('/')[2] ?? '' },
    kind: 'service',
    loadBalancer: { type: 'round_robin' },
    endpoints: addresses.map((a) => ({
      name: `${name}|${a.ip}:80`,
      address: a.ip,
      port: 80,
      ready: a.ready ?? true,
      serving: a.serving ?? a.ready ?? true,
      terminating: a.terminating ?? false,
      weight: 1,
    })),
  };
}

function route(
  name: string,
  match: Route['match'],
  action: Route['action'],
  extra: Partial<RoutePolicy> = {},
): Route {
  return { name, source, match, action, policy: { ...policy, ...extra } };
}

function certificate(name: string, hosts: readonly string[]): Certificate {
  return {
    name,
    source: { kind: 'Secret', namespace: 'default', name },
    hosts,
    certPem: `cert ${name}`,
    keyPem: 'key',
  };
}

function table(ir: IR, state = new EndpointStateRegistry(), version = 1): RuntimeTable {
  return compile(ir, [], { version, state });
}

const shop = backend('backend/default/shop/80', [
  { ip: '10.0.0.1' },
  { ip: '10.0.0.2' },
  { ip: '10.0.0.3', ready: false },
]);
const ir: IR = {
  virtualHosts: [
    {
      name: 'vhost/shop.test',
      hostname: 'shop.test',
      routes: [
        route('r/exact', { type: 'Exact', path: '/cart' }, { type: 'forward', backend: shop.name }),
        route(
          'r/missing',
          { type: 'Prefix', path: '/gone' },
          { type: 'forward', backend: 'backend/default/none/80' },
        ),
        route(
          'r/invalid',
          { type: 'Prefix', path: '/broken' },
          { type: 'invalid', reason: 'BackendNotFound', message: 'service "x" not found', status: 500 },
        ),
        route(
          'r/rewrite',
          { type: 'Prefix', path: '/api' },
          { type: 'forward', backend: shop.name },
          {
            rewrite: { type: 'regex', pattern: '/api(/|$)(.*)', caseInsensitive: false, replacement: '/$2' },
          },
        ),
        route('r/root', { type: 'Prefix', path: '/' }, { type: 'forward', backend: shop.name }),
      ],
    },
    {
      name: 'vhost/*.shop.test',
      hostname: '*.shop.test',
      routes: [route('r/wild', { type: 'Prefix', path: '/' }, { type: 'forward', backend: shop.name })],
    },
    {
      name: 'vhost/*',
      hostname: '*',
      routes: [route('r/any', { type: 'Exact', path: '/ping' }, { type: 'forward', backend: shop.name })],
    },
  ],
  backends: [shop],
  certificates: [
    certificate('secret/default/b', ['shop.test', '*.shop.test']),
    certificate('secret/default/a', ['shop.test']),
  ],
};

test('hosts resolve exact, then one-label wildcard, then the catch-all', () => {
  const t = table(ir);
  assert.equal(t.match('shop.test', '/cart')?.name, 'r/exact');
  assert.equal(t.match('eu.shop.test', '/x')?.name, 'r/wild');
  assert.equal(t.match('a.eu.shop.test', '/ping')?.name, 'r/any');
  assert.equal(t.match('a.eu.shop.test', '/x'), null);
  assert.equal(t.match('other.test', '/ping')?.name, 'r/any');
});

test('routes keep their precedence order and bind to their backend', () => {
  const t = table(ir);
  assert.equal(t.match('shop.test', '/cart/1')?.name, 'r/root');
  const api = t.match('shop.test', '/api/v1');
  assert.equal(api?.backend?.name, shop.name);
  assert.equal(api?.rewrite('/api/v1?x=1', '/api/v1'), '/v1?x=1');
});

test('a forward to a backend missing from the IR and an invalid action both become invalid routes, not throws', () => {
  const t = table(ir);
  const missing = t.match('shop.test', '/gone');
  assert.equal(missing?.backend, null);
  assert.equal(missing?.invalid?.reason, 'BackendNotFound');
  assert.equal(missing?.invalid?.status, 500);
  const invalid = t.match('shop.test', '/broken/x');
  assert.deepEqual(invalid?.invalid, {
    status: 500,
    reason: 'BackendNotFound',
    message: 'service "x" not found',
  });
});

test('an uncompilable rewrite makes only its route answer 500', () => {
  const broken: IR = {
    ...ir,
    virtualHosts: [
      {
        name: 'vhost/x.test',
        hostname: 'x.test',
        routes: [
          route(
            'r/bad',
            { type: 'Prefix', path: '/bad' },
            { type: 'forward', backend: shop.name },
            {
              rewrite: { type: 'regex', pattern: '(', caseInsensitive: false, replacement: '/' },
            },
          ),
          route('r/good', { type: 'Prefix', path: '/' }, { type: 'forward', backend: shop.name }),
        ],
      },
    ],
  };
  const t = table(broken);
  assert.equal(t.match('x.test', '/bad')?.invalid?.reason, 'InvalidRewrite');
  assert.equal(t.match('x.test', '/good')?.invalid, null);
});

test('round robin skips endpoints that are not ready', () => {
  const t = table(ir);
  const picked = Array.from({ length: 4 }, () => t.backends.get(shop.name)?.pick(request)?.address);
  assert.deepEqual(picked, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
});

test('terminating-but-serving endpoints are used only when no endpoint is ready', () => {
  const draining = backend('backend/default/d/80', [
    { ip: '10.0.1.1', ready: false, serving: true, terminating: true },
    { ip: '10.0.1.2', ready: false, serving: false, terminating: true },
  ]);
  const t = table({ virtualHosts: [], backends: [draining], certificates: [] });
  assert.deepEqual(
    Array.from({ length: 3 }, () => t.backends.get(draining.name)?.pick(request)?.address),
    ['10.0.1.1', '10.0.1.1', '10.0.1.1'],
  );
  const none = backend('backend/default/n/80', [{ ip: '10.0.2.1', ready: false }]);
  assert.equal(
    table({ virtualHosts: [], backends: [none], certificates: [] })
      .backends.get(none.name)
      ?.pick(request),
    null,
  );
});

test('the rotation continues across a table swap because its position lives in the shared state registry', () => {
  const state = new EndpointStateRegistry();
  const first = table(ir, state, 1);
  assert.equal(first.backends.get(shop.name)?.pick(request)?.address, '10.0.0.1');
  const second = table(ir, state, 2);
  assert.equal(second.backends.get(shop.name)?.pick(request)?.address, '10.0.0.2');
  assert.equal(state.retain([]), 1);
  assert.equal(table(ir, state, 3).backends.get(shop.name)?.pick(request)?.address, '10.0.0.1');
});

test('SNI: exact name, then one-label wildcard, case-insensitive; the first certificate by name wins a host', () => {
  const t = table(ir);
  assert.equal(t.certificateFor('SHOP.test')?.name, 'secret/default/a');
  assert.equal(t.certificateFor('eu.shop.test')?.name, 'secret/default/b');
  assert.equal(t.certificateFor('a.eu.shop.test'), null);
  assert.equal(t.certificateFor('unknown.test'), null);
});
