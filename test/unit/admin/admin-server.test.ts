import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AdminServer } from '../../../src/admin/admin-server.js';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import type { IR, ObjectStatus } from '../../../src/ir/types.js';
import { createLogger } from '../../../src/observability/logger.js';
import { GatewayMetrics } from '../../../src/observability/metrics.js';
import { compile } from '../../../src/runtime/compile.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';

const ir: IR = {
  virtualHosts: [
    {
      name: 'vhost/shop.test',
      hostname: 'shop.test',
      routes: [
        {
          name: 'ingress/default/shop/rule/0/path/0',
          source: { kind: 'Ingress', namespace: 'default', name: 'shop' },
          match: { type: 'Prefix', path: '/' },
          action: { type: 'forward', backend: 'backend/default/shop/80' },
          policy: {
            rewrite: null,
            httpsRedirect: null,
            maxBodyBytes: null,
            timeouts: { connectMs: 5000, readMs: 60000, sendMs: 60000 },
            upstreamProtocol: 'http',
          },
        },
      ],
    },
  ],
  backends: [
    {
      name: 'backend/default/shop/80',
      source: { kind: 'Service', namespace: 'default', name: 'shop' },
      kind: 'service',
      loadBalancer: { type: 'round_robin' },
      endpoints: [
        {
          name: 'backend/default/shop/80|10.0.0.1:8080',
          address: '10.0.0.1',
          port: 8080,
          ready: true,
          serving: true,
          terminating: false,
          weight: 1,
        },
      ],
    },
  ],
  certificates: [
    {
      name: 'secret/default/broken',
      source: { kind: 'Secret', namespace: 'default', name: 'broken' },
      hosts: ['shop.test'],
      certPem: 'not a certificate',
      keyPem: '-----BEGIN PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----',
    },
  ],
};
const statuses: ObjectStatus[] = [
  {
    ref: { kind: 'Ingress', namespace: 'default', name: 'bad' },
    origin: { file: 'manifests/bad.yaml', line: 3 },
    conditions: [
      { type: 'Accepted', status: 'False', reason: 'Invalid', message: 'spec.rules[0].host: invalid' },
    ],
    warnings: [],
  },
  { ref: { kind: 'Ingress', namespace: 'default', name: 'shop' }, conditions: [], warnings: [] },
];

const holder = new SnapshotHolder();
let ready = false;
const admin = new AdminServer(
  { host: '127.0.0.1', port: 0 },
  {
    holder,
    metrics: new GatewayMetrics({ defaultMetrics: false }),
    readiness: () => ready,
    info: () => ({ entryPoints: [], providers: ['file'], startedAt: 0, lastReload: null }),
    logger: createLogger({ level: 'silent', format: 'json' }),
  },
);
let base = '';

before(async () => {
  await admin.start(new AbortController().signal);
  base = `http://127.0.0.1:${admin.address()?.port}`;
});
after(() => admin.close());

test('healthz is always ok; readyz follows readiness', async () => {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

test('the snapshot answers 503 before the first table and then shows routes, backends and rejected objects', async () => {
  assert.equal((await fetch(`${base}/api/v1/snapshot`)).status, 503);
  holder.swap(compile(ir, statuses, { version: 7, state: new EndpointStateRegistry() }));
  const response = await fetch(`${base}/api/v1/snapshot`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const view = JSON.parse(text) as {
    version: number;
    virtualHosts: { hostname: string; routes: { backend: string }[] }[];
    backends: { endpoints: { address: string }[] }[];
    certificates: { error?: string }[];
    rejected: { ref: { name: string }; origin: { line: number } }[];
  };
  assert.equal(view.version, 7);
  assert.equal(view.virtualHosts[0]?.routes[0]?.backend, 'backend/default/shop/80');
  assert.equal(view.backends[0]?.endpoints[0]?.address, '10.0.0.1');
  assert.equal(view.certificates[0]?.error, 'the certificate PEM could not be parsed');
  assert.deepEqual(
    view.rejected.map((r) => [r.ref.name, r.origin.line]),
    [['bad', 3]],
  );
  assert.ok(!text.includes('SECRET-KEY-MATERIAL'), 'key material must never leave the process');
});

test('metrics are served in the Prometheus text format', async () => {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(await response.text(), /tidegate_config_reloads_total\{result="success"\} 0/);
});

test('unknown paths get 404 and writes get 405 with Allow', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  const post = await fetch(`${base}/healthz`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('the dashboard views slice the snapshot: routers, services, endpoints, certificates, rejected', async () => {
  const json = async (path: string): Promise<unknown> => (await fetch(`${base}/api/v1/${path}`)).json();
  const routers = (await json('routers')) as { host: string; name: string; backend: string }[];
  assert.deepEqual(
    routers.map((r) => [r.host, r.name, r.backend]),
    [['shop.test', 'ingress/default/shop/rule/0/path/0', 'backend/default/shop/80']],
  );
  const services = (await json('services')) as { name: string; ready: number; routes: string[] }[];
  assert.deepEqual(
    services.map((s) => [s.name, s.ready, s.routes]),
    [['backend/default/shop/80', 1, ['ingress/default/shop/rule/0/path/0']]],
  );
  const endpoints = (await json('endpoints')) as { service: string; address: string; health: unknown }[];
  assert.equal(endpoints[0]?.service, 'backend/default/shop/80');
  assert.equal(endpoints[0]?.address, '10.0.0.1');
  assert.ok(endpoints[0]?.health !== null, 'a compiled endpoint shows its live state');
  const certificates = (await json('certificates')) as { status: string; daysLeft: number | null }[];
  assert.deepEqual(
    certificates.map((c) => [c.status, c.daysLeft]),
    [['invalid', null]],
  );
  assert.equal(((await json('rejected')) as unknown[]).length, 1);
  const overview = (await json('overview')) as { counts: { routers: number; rejected: number } };
  assert.equal(overview.counts.routers, 1);
  assert.equal(overview.counts.rejected, 1);
});

test('/api/v1/config is the IR with key material redacted', async () => {
  const text = await (await fetch(`${base}/api/v1/config`)).text();
  const config = JSON.parse(text) as { version: number; ir: IR };
  assert.equal(config.version, 7);
  assert.equal(config.ir.certificates[0]?.keyPem, '[redacted]');
  assert.equal(config.ir.certificates[0]?.certPem, 'not a certificate');
  assert.ok(!text.includes('SECRET-KEY-MATERIAL'));
});

test('without a registry or live statistics their endpoints answer 404', async () => {
  assert.equal((await fetch(`${base}/api/v1/registry`)).status, 404);
  assert.equal((await fetch(`${base}/api/v1/stream`)).status, 404);
  const root = await fetch(`${base}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/dashboard/');
});

test('with a token, everything but probes needs it (header, or access_token for event streams)', async () => {
  const token = 'unit-test-token-0123456789';
  const secured = new AdminServer(
    { host: '127.0.0.1', port: 0, token },
    {
      holder,
      metrics: new GatewayMetrics({ defaultMetrics: false }),
      readiness: () => true,
      info: () => ({ entryPoints: [], providers: [], startedAt: 0, lastReload: null }),
      logger: createLogger({ level: 'silent', format: 'json' }),
      registry: { snapshot: () => ({ revision: 3, services: [] }) },
    },
  );
  await secured.start(new AbortController().signal);
  try {
    const url = `http://127.0.0.1:${secured.address()?.port}`;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const anonymous = await fetch(`${url}/api/v1/routers`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="tidegate"');
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const authorized = { headers: { authorization: `Bearer ${token}` } };
    assert.equal((await fetch(`${url}/metrics`, authorized)).status, 200);
    assert.deepEqual(await (await fetch(`${url}/api/v1/registry`, authorized)).json(), {
      revision: 3,
      services: [],
    });
    assert.equal((await fetch(`${url}/api/v1/routers?access_token=${token}`)).status, 200);
  } finally {
    await secured.close();
  }
});
