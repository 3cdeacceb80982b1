/**
 * Registry mode end to end with the embedded store, through the real `tidegate serve`: upstream servers register
 * with the gateway's Nacos API (the real npm `nacos` client for one, the Open API over HTTP for the others) and
 * are routed to by a native RegistryRoute (`api.example.com/order` → `order-service`, prefix stripped) and by an
 * Ingress `backend.resource` of `registry.tidegate.io/Service`. Covers propagation (register → routable, measured),
 * instance weights under weighted round robin, `enabled: false`, a silent instance leaving rotation and then the
 * registry, the service's protectThreshold, the admin `/api/v1/registry` view, and persistence of persistent
 * instances across `kill -9` of the gateway. Liveness timeouts are shortened to 1 s / 2 s. Figures are logged,
 * never asserted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NacosNamingClient } from 'nacos';
import { get } from '../support/balancing.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { jsonOf, request } from '../support/http-client.js';
import { startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const API_HOST = 'api.example.com';
const SHOP_HOST = 'shop.example.com';
/** Beats of the instances the test keeps alive by hand: well inside the 1 s heartbeat timeout. */
const BEAT_INTERVAL_MS = 200;

const MANIFESTS = {
  'registry-route.yaml': `apiVersion: tidegate.io/v1alpha1
kind: RegistryRoute
metadata:
  name: api
  namespace: default
  annotations: { tidegate.io/load-balance: weighted_round_robin }
spec:
  host: ${API_HOST}
  routes:
    - { pathPrefix: /order, service: order-service, stripPrefix: true }
`,
  'ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: default }
spec:
  ingressClassName: tidegate
  rules:
    - host: ${SHOP_HOST}
      http:
        paths:
          - path: /pay
            pathType: Prefix
            backend: { resource: { apiGroup: registry.tidegate.io, kind: Service, name: pay-service } }
          - path: /stock
            pathType: Prefix
            backend: { resource: { apiGroup: registry.tidegate.io, kind: Service, name: DEFAULT_GROUP@@stock-service } }
`,
};

/** The nacos client logs through this; failed beats while the gateway restarts are expected, not news. */
const quiet = { ...console, info() {}, debug() {}, log() {}, warn() {}, error() {} };
/** `close()` exists on the client (sdk-base) but is missing from the package's typings. */
type ClosableClient = NacosNamingClient & { close(): Promise<void> };

/** `/api/v1/registry`: the registry snapshot. */
interface RegistryView {
  readonly services: readonly {
    readonly service: { readonly service: string; readonly protectThreshold: number };
    readonly instances: readonly {
      readonly port: number;
      readonly healthy: boolean;
      readonly enabled: boolean;
    }[];
  }[];
}

/** An ephemeral instance registered over the Nacos Open API, kept alive by beats the test can stop. */
class BeatingInstance {
  static readonly #all = new Set<BeatingInstance>();
  readonly #timer: NodeJS.Timeout;

  private constructor(timer: NodeJS.Timeout) {
    this.#timer = timer;
  }

  static async register(
    cleanups: Cleanups,
    registry: string,
    service: string,
    upstream: Upstream,
    params: Record<string, string> = {},
  ): Promise<BeatingInstance> {
    await registerInstance(registry, service, upstream, params);
    const beat = JSON.stringify({
      serviceName: `DEFAULT_GROUP@@${service}`,
      ip: upstream.host,
      port: upstream.port,
      cluster: 'DEFAULT',
    });
    const query = new URLSearchParams({ serviceName: `DEFAULT_GROUP@@${service}`, beat });
    const timer = setInterval(() => {
      // A lost beat is what the test is about elsewhere; here the next one follows.
      request(`${registry}/nacos/v1/ns/instance/beat?${query}`, { method: 'PUT' }).catch(() => {});
    }, BEAT_INTERVAL_MS);
    const instance = new BeatingInstance(timer);
    BeatingInstance.#all.add(instance);
    cleanups.after(async () => instance.stop());
    return instance;
  }

  /** The instance goes silent, as when its process is killed. */
  stop(): void {
    clearInterval(this.#timer);
    BeatingInstance.#all.delete(this);
  }

  /** Every instance still beating goes silent. */
  static stopAll(): void {
    for (const instance of BeatingInstance.#all) instance.stop();
  }
}

async function registerInstance(
  registry: string,
  service: string,
  upstream: Upstream,
  params: Record<string, string>,
): Promise<void> {
  const query = new URLSearchParams({
    serviceName: service,
    ip: upstream.host,
    port: String(upstream.port),
    ...params,
  });
  const response = await request(`${registry}/nacos/v1/ns/instance?${query}`, { method: 'POST' });
  assert.equal(response.status, 200, response.body);
}

/** Upstream names of `count` sequential answers; the status for answers no upstream gave. */
async function answers(
  gateway: GatewayProcess,
  host: string,
  path: string,
  count: number,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await get(gateway.urls.web, host, path);
    out.push(answer.status === 200 ? answer.name : String(answer.status));
  }
  return out;
}

async function registryView(gateway: GatewayProcess): Promise<RegistryView> {
  const response = await gateway.admin('/api/v1/registry');
  assert.equal(response.status, 200, response.body);
  return jsonOf<RegistryView>(response);
}

function instanceIn(view: RegistryView, service: string, port: number) {
  return view.services.find((s) => s.service.service === service)?.instances.find((i) => i.port === port);
}

describe('registry mode with the embedded store', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let dataDir: string;
  let gateway: GatewayProcess;
  let registry: string;
  let naming: ClosableClient;
  const up: Record<string, Upstream> = {};

  const start = (address: string): Promise<GatewayProcess> =>
    GatewayProcess.start(cleanups, {
      manifests: MANIFESTS,
      config: {
        registry: {
          enabled: true,
          address,
          dataDir,
          heartbeatTimeout: '1s',
          deleteTimeout: '2s',
          healthCheck: { interval: '200ms', timeout: '200ms' },
        },
      },
    });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tidegate-e2e-registry-'));
    cleanups.after(() => rm(dataDir, { recursive: true, force: true }));
    for (const name of ['order-1', 'order-2', 'order-3', 'pay-1', 'stock-1', 'stock-2']) {
      const upstream = await startEchoUpstream(name);
      cleanups.after(() => upstream.close());
      up[name] = upstream;
    }
    gateway = await start('127.0.0.1:0');
    registry = await gateway.registryUrl();
    naming = new NacosNamingClient({
      logger: quiet as typeof console,
      serverList: new URL(registry).host,
      namespace: 'public',
    }) as ClosableClient;
    cleanups.after(() => naming.close());
    await naming.ready();
  });

  const upstream = (name: string): Upstream => {
    const found = up[name];
    assert.ok(found, name);
    return found;
  };

  test('an instance the nacos client registers is routable through the RegistryRoute, prefix stripped', async () => {
    const order1 = upstream('order-1');
    const registering = performance.now();
    await naming.registerInstance('order-service', {
      ip: order1.host,
      port: order1.port,
      weight: 1,
      // The client's first beat comes only after its initial 10 s interval: long per-instance timeouts keep the
      // instance alive until then; afterwards it beats every 300 ms (the interval the registry answers).
      metadata: {
        'preserved.heart.beat.interval': '300',
        'preserved.heart.beat.timeout': '30000',
        'preserved.ip.delete.timeout': '60000',
      },
    } as never);
    const acknowledged = performance.now();
    await waitUntil(async () => (await get(gateway.urls.web, API_HOST, '/order/x')).name === 'order-1', {
      timeoutMs: 5_000,
      intervalMs: 5,
      what: 'the just-registered instance to answer through the gateway',
    });
    const routable = performance.now();
    console.log(
      `embedded registry propagation: registration acknowledged → first answer ${Math.round(routable - acknowledged)} ms (${Math.round(routable - registering)} ms from the register call)`,
    );
    const echoed = await request(`${gateway.urls.web}/order/items?id=7`, { headers: { host: API_HOST } });
    assert.equal(jsonOf<{ url: string }>(echoed).url, '/items?id=7');

    const seen = (await naming.getAllInstances('order-service', 'DEFAULT_GROUP', '', false)) as unknown as {
      port: number;
      weight: number;
      healthy: boolean;
    }[];
    assert.deepEqual(
      seen.map((h) => [h.port, h.weight, h.healthy]),
      [[order1.port, 1, true]],
    );
  });

  test('instance weights reach the IR endpoints and weighted round robin honours them', async () => {
    const order2 = upstream('order-2');
    await BeatingInstance.register(cleanups, registry, 'order-service', order2, { weight: '3' });
    const backend = await waitUntil(
      async () => {
        const found = (await gateway.snapshot()).backends.find((b) =>
          b.endpoints.some((e) => e.port === order2.port && e.ready),
        );
        return found && found.endpoints.filter((e) => e.ready).length === 2 ? found : null;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: 'both order instances ready in the snapshot' },
    );
    assert.deepEqual(
      backend.endpoints.map((e) => [e.port, e.weight]).sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0)),
      [
        [upstream('order-1').port, 1],
        [order2.port, 3],
      ],
    );
    // Smooth weighted round robin is periodic over the weight sum (4): 40 picks are exactly 10 and 30.
    const counts: Record<string, number> = {};
    for (const name of await answers(gateway, API_HOST, '/order/x', 40))
      counts[name] = (counts[name] ?? 0) + 1;
    assert.deepEqual(counts, { 'order-1': 10, 'order-2': 30 });
  });

  test('an instance updated to enabled=false gets no traffic', async () => {
    const order2 = upstream('order-2');
    const query = new URLSearchParams({
      serviceName: 'order-service',
      ip: order2.host,
      port: String(order2.port),
      enabled: 'false',
    });
    const response = await request(`${registry}/nacos/v1/ns/instance?${query}`, { method: 'PUT' });
    assert.equal(response.status, 200, response.body);
    await waitUntil(
      async () => (await answers(gateway, API_HOST, '/order/x', 8)).every((n) => n === 'order-1'),
      {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: 'the disabled instance to leave rotation',
      },
    );
    const view = await registryView(gateway);
    assert.equal(instanceIn(view, 'order-service', order2.port)?.enabled, false);
    assert.deepEqual(
      new Set(await answers(gateway, API_HOST, '/order/x', 12)),
      new Set(['order-1']),
      'a disabled instance is never picked',
    );
  });

  test('a silent instance stops getting traffic after the heartbeat timeout and disappears after the delete timeout', async () => {
    const order3 = upstream('order-3');
    const beating = await BeatingInstance.register(cleanups, registry, 'order-service', order3, {
      weight: '1',
    });
    await waitUntil(async () => (await answers(gateway, API_HOST, '/order/x', 4)).includes('order-3'), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the new instance to get traffic',
    });
    beating.stop();
    const silentSince = performance.now();
    await waitUntil(
      async () => {
        const instance = instanceIn(await registryView(gateway), 'order-service', order3.port);
        return instance !== undefined && !instance.healthy;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: 'the registry view to show the silent instance unhealthy' },
    );
    const unhealthyAfter = performance.now() - silentSince;
    await waitUntil(async () => !(await answers(gateway, API_HOST, '/order/x', 4)).includes('order-3'), {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: 'the silent instance to leave rotation',
    });
    const outAfter = performance.now() - silentSince;
    await waitUntil(
      async () => instanceIn(await registryView(gateway), 'order-service', order3.port) === undefined,
      { timeoutMs: 5_000, intervalMs: 20, what: 'the silent instance to be removed' },
    );
    const removedAfter = performance.now() - silentSince;
    console.log(
      `silent instance (timeouts 1 s / 2 s): unhealthy in the registry after ${Math.round(unhealthyAfter)} ms, out of rotation after ${Math.round(outAfter)} ms, removed after ${Math.round(removedAfter)} ms`,
    );
    assert.ok(!(await answers(gateway, API_HOST, '/order/x', 8)).includes('order-3'));
  });

  test("below the service's protectThreshold an unhealthy instance keeps its traffic (Nacos protection)", async () => {
    const created = await request(
      `${registry}/nacos/v1/ns/service?serviceName=stock-service&protectThreshold=0.6`,
      {
        method: 'POST',
      },
    );
    assert.equal(created.status, 200, created.body);
    const stock2 = upstream('stock-2');
    await BeatingInstance.register(cleanups, registry, 'stock-service', upstream('stock-1'));
    // Deleted 3 s after its last beat (2 s unhealthy): long enough to watch it stay in rotation meanwhile.
    const silent = await BeatingInstance.register(cleanups, registry, 'stock-service', stock2, {
      metadata: JSON.stringify({ 'preserved.ip.delete.timeout': '3000' }),
    });
    await waitUntil(async () => new Set(await answers(gateway, SHOP_HOST, '/stock', 4)).size === 2, {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'both stock instances to get traffic through the Ingress',
    });
    silent.stop();
    await waitUntil(
      async () => {
        const instance = instanceIn(await registryView(gateway), 'stock-service', stock2.port);
        return instance !== undefined && !instance.healthy;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: 'stock-2 to turn unhealthy' },
    );
    // Healthy share 1/2 < 0.6: Nacos serves both, and so does the gateway until the instance is deleted.
    const list = await request(
      `${registry}/nacos/v1/ns/instance/list?serviceName=stock-service&healthyOnly=true`,
    );
    assert.equal(jsonOf<{ reachProtectionThreshold: boolean }>(list).reachProtectionThreshold, true);
    // Keep asking for a second, many times the register → routable latency, so that a table without the
    // protection would have dropped the instance by then.
    const until = performance.now() + 1_000;
    while (performance.now() < until) {
      assert.ok(
        (await answers(gateway, SHOP_HOST, '/stock', 4)).includes('stock-2'),
        'the protected unhealthy instance still gets traffic',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(instanceIn(await registryView(gateway), 'stock-service', stock2.port)?.healthy, false);
    await waitUntil(
      async () => (await answers(gateway, SHOP_HOST, '/stock', 4)).every((n) => n === 'stock-1'),
      {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: 'the deleted instance to leave rotation',
      },
    );
  });

  test('persistent instances survive kill -9 of the gateway; the nacos client re-registers its ephemeral one by beating', async () => {
    const pay1 = upstream('pay-1');
    await registerInstance(registry, 'pay-service', pay1, { ephemeral: 'false', weight: '2' });
    await waitUntil(async () => (await get(gateway.urls.web, SHOP_HOST, '/pay')).name === 'pay-1', {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the persistent instance to answer through the Ingress',
    });

    // Only the nacos client keeps beating: what the other ephemeral instances become is then visible.
    BeatingInstance.stopAll();
    gateway.kill('SIGKILL');
    assert.equal((await gateway.waitForExit(5_000)).signal, 'SIGKILL');
    // The same registry address, so that the nacos client's beats reach the new process.
    const restarted = performance.now();
    gateway = await start(new URL(registry).host);
    console.log(
      `gateway restart (kill -9 → ready) on the same data dir: ${Math.round(performance.now() - restarted)} ms`,
    );
    // Served again at once (readiness waits for a table holding every provider's first set) without anyone
    // registering it: the instance came back from the data directory.
    assert.equal((await get(gateway.urls.web, SHOP_HOST, '/pay')).name, 'pay-1');
    const view = await registryView(gateway);
    const pay = view.services.find((s) => s.service.service === 'pay-service');
    assert.deepEqual(
      pay?.instances.map((i) => i.port),
      [pay1.port],
    );
    // Ephemeral instances live in memory only, as in Nacos: the silent ones are gone.
    const order = view.services.find((s) => s.service.service === 'order-service');
    assert.ok(!order?.instances.some((i) => i.port === upstream('order-2').port));
    assert.ok(!view.services.find((s) => s.service.service === 'stock-service')?.instances.length);
    // The protectThreshold is a service attribute: durable too.
    assert.equal(
      view.services.find((s) => s.service.service === 'stock-service')?.service.protectThreshold,
      0.6,
    );
    // The nacos client's next full beat registers order-1 again.
    await waitUntil(async () => (await get(gateway.urls.web, API_HOST, '/order/x')).name === 'order-1', {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'the nacos client to re-register its instance by beating',
    });
    console.log(
      `ephemeral instance re-registered by the client's beats ${Math.round(performance.now() - restarted)} ms after the restart`,
    );
  });
});
