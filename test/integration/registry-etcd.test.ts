/**
 * Registry mode with several replicas: two real gateway processes share one registry in a real etcd. An instance
 * registered through the Nacos API of one is routable through the other; a beat through either keeps it alive;
 * when beats stop it stops getting traffic once its heartbeat lease expires and disappears with its delete lease;
 * persistent instances survive an etcd restart. Propagation latencies are logged (measured, not asserted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { EtcdServer } from '../support/etcd.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { jsonOf, request } from '../support/http-client.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const cleanups = new Cleanups();
let etcd: EtcdServer;
let gatewayA: GatewayProcess;
let gatewayB: GatewayProcess;
let registryA: string;
let registryB: string;
let upstreams: Upstream[];

const ROUTE = `apiVersion: tidegate.io/v1alpha1
kind: RegistryRoute
metadata: { name: api, namespace: default }
spec:
  host: api.example.com
  routes:
    - { pathPrefix: /order, service: order-service, stripPrefix: true }
`;

async function startGateway(prefix: string): Promise<{ gateway: GatewayProcess; registry: string }> {
  const gateway = await GatewayProcess.start(cleanups, {
    manifests: { 'route.yaml': ROUTE },
    config: {
      registry: {
        enabled: true,
        address: '127.0.0.1:0',
        store: 'etcd',
        etcd: { endpoints: [etcd.endpoint], prefix, dialTimeout: '3s' },
        // etcd leases count whole seconds: 1 s unhealthy, 2 s removed.
        heartbeatTimeout: '1s',
        deleteTimeout: '2s',
      },
    },
  });
  return { gateway, registry: await gateway.registryUrl() };
}

/** Nacos 1.x Open API registration, as the clients send it (query parameters). */
async function register(
  registry: string,
  upstream: Upstream,
  extra: Record<string, string> = {},
): Promise<void> {
  const query = new URLSearchParams({
    serviceName: 'order-service',
    ip: upstream.host,
    port: String(upstream.port),
    ...extra,
  });
  const response = await request(`${registry}/nacos/v1/ns/instance?${query}`, { method: 'POST' });
  assert.equal(response.status, 200, response.body);
}

async function beat(registry: string, upstream: Upstream): Promise<void> {
  const query = new URLSearchParams({
    serviceName: 'DEFAULT_GROUP@@order-service',
    beat: JSON.stringify({
      serviceName: 'DEFAULT_GROUP@@order-service',
      ip: upstream.host,
      port: upstream.port,
    }),
  });
  const response = await request(`${registry}/nacos/v1/ns/instance/beat?${query}`, { method: 'PUT' });
  assert.equal(response.status, 200, response.body);
}

/** Who answered `/order/<path>` through `gateway` (the upstream's name), or the status when no upstream did. */
async function whoAnswers(gateway: GatewayProcess, path = '/x'): Promise<string> {
  const response = await request(`${gateway.urls.web}/order${path}`, {
    headers: { host: 'api.example.com' },
  });
  if (response.status !== 200) return String(response.status);
  return jsonOf<EchoBody>(response).name;
}

before(async () => {
  etcd = await EtcdServer.start(cleanups);
  upstreams = await Promise.all(['order-1', 'order-2'].map((name) => startEchoUpstream(name)));
  for (const upstream of upstreams) cleanups.after(() => upstream.close());
  const prefix = `/tidegate-it/${process.pid}`;
  [{ gateway: gatewayA, registry: registryA }, { gateway: gatewayB, registry: registryB }] =
    await Promise.all([startGateway(prefix), startGateway(prefix)]);
});
after(() => cleanups.run());

describe('two gateways sharing one etcd registry', {
  skip: !EtcdServer.available() && 'no etcd binary',
}, () => {
  test('a registration through one gateway is routable through the other, with the prefix stripped', async () => {
    const [one] = upstreams;
    assert.ok(one);
    const started = performance.now();
    await register(registryA, one, { ephemeral: 'false' });
    await waitUntil(async () => (await whoAnswers(gatewayB)) === 'order-1', {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: 'gateway B to route to the instance registered through gateway A',
    });
    console.log(
      `registry propagation (register via A → routable via B): ${Math.round(performance.now() - started)} ms`,
    );
    const response = await request(`${gatewayB.urls.web}/order/items?id=7`, {
      headers: { host: 'api.example.com' },
    });
    assert.equal(jsonOf<EchoBody>(response).url, '/items?id=7');
    assert.equal(await whoAnswers(gatewayA), 'order-1');
  });

  test('an ephemeral instance kept alive by beats through the other gateway; silent, it stops getting traffic, then expires', async () => {
    const [, two] = upstreams;
    assert.ok(two);
    await register(registryA, two);
    await waitUntil(
      async () => {
        const answers = new Set<string>();
        for (let i = 0; i < 4; i++) answers.add(await whoAnswers(gatewayA));
        return answers.has('order-2');
      },
      {
        timeoutMs: 5_000,
        intervalMs: 10,
        what: 'the ephemeral instance to get traffic',
      },
    );
    // Beats through B only, for twice the delete timeout.
    const until = performance.now() + 4_000;
    while (performance.now() < until) {
      await beat(registryB, two);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await whoAnswers(gatewayA));
    assert.ok(seen.has('order-2'), `still served after beats through B: ${[...seen].join(', ')}`);

    const silentSince = performance.now();
    await waitUntil(
      async () => {
        const answers = new Set<string>();
        for (let i = 0; i < 6; i++) answers.add(await whoAnswers(gatewayB));
        return !answers.has('order-2');
      },
      { timeoutMs: 6_000, intervalMs: 50, what: 'the silent instance to stop getting traffic' },
    );
    console.log(
      `silent ephemeral instance out of rotation after ${Math.round(performance.now() - silentSince)} ms (heartbeat timeout 1 s)`,
    );
    await waitUntil(
      async () => {
        const list = await request(`${registryB}/nacos/v1/ns/instance/list?serviceName=order-service`);
        const hosts = jsonOf<{ hosts: { port: number }[] }>(list).hosts;
        return !hosts.some((h) => h.port === two.port);
      },
      { timeoutMs: 6_000, intervalMs: 100, what: 'the lease to remove the silent instance' },
    );
  });

  test('the persistent instance survives an etcd restart', async () => {
    await etcd.restart();
    await waitUntil(
      async () => {
        const list = await request(`${registryA}/nacos/v1/ns/instance/list?serviceName=order-service`);
        return jsonOf<{ hosts: { port: number }[] }>(list).hosts.some((h) => h.port === upstreams[0]?.port);
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'the persistent instance after the restart' },
    );
    assert.equal(await whoAnswers(gatewayB), 'order-1');
  });
});
