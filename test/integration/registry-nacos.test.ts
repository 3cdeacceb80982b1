/**
 * The registry's Nacos API against the real npm `nacos` client (NacosNamingClient): registration, subscription
 * (UDP push), deregistration, heartbeat expiry with shortened timeouts, authentication and Nacos-style errors. The
 * registry runs in this process on 127.0.0.1:0 with a temporary data directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { NacosNamingClient } from 'nacos';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  createRegistryStore,
  RegistryRunner,
  type RegistrySettings,
} from '../../src/registry/registry-runner.js';
import { request } from '../support/http-client.js';
import { waitUntil } from '../support/wait.js';

/** What the client logs goes nowhere unless a test fails; its warnings are part of what we watch. */
const quiet = { ...console, info: () => {}, debug: () => {}, log: () => {}, warn: () => {} };

interface Host {
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly healthy: boolean;
  readonly enabled: boolean;
  readonly metadata: Record<string, string>;
}

const dirs: string[] = [];
const runners: RegistryRunner[] = [];
/** `close()` exists on the client (sdk-base) but is missing from the package's typings. */
type ClosableClient = NacosNamingClient & { close(): Promise<void> };
const clients: ClosableClient[] = [];

after(async () => {
  for (const client of clients) await client.close();
  for (const runner of runners) await runner.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function startRegistry(overrides: Partial<RegistrySettings> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidegate-nacos-'));
  dirs.push(dir);
  const settings: RegistrySettings = {
    host: '127.0.0.1',
    port: 0,
    store: 'embedded',
    etcd: { endpoints: [], prefix: '/tidegate/registry', dialTimeout: 1_000 },
    dataDir: dir,
    namespaces: ['dev'],
    heartbeatTimeout: 600,
    deleteTimeout: 1_200,
    healthCheck: { interval: 200, timeout: 200 },
    auth: { enabled: false, users: [], tokenTtl: 60_000, tokenSecret: undefined },
    ...overrides,
  };
  const runner = new RegistryRunner(settings, {
    store: await createRegistryStore(settings, systemClock),
    clock: systemClock,
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
  runners.push(runner);
  await runner.start(new AbortController().signal);
  return `127.0.0.1:${runner.address()?.port}`;
}

async function client(
  server: string,
  extra: { username?: string; password?: string } = {},
): Promise<ClosableClient> {
  const naming = new NacosNamingClient({
    logger: quiet as typeof console,
    serverList: server,
    namespace: 'public',
    ...extra,
  }) as ClosableClient;
  clients.push(naming);
  await naming.ready();
  return naming;
}

/** Lists through the HTTP API, bypassing the client's cache. */
async function hostsOf(server: string, service: string, query = ''): Promise<Host[]> {
  const response = await request(`http://${server}/nacos/v1/ns/instance/list?serviceName=${service}${query}`);
  assert.equal(response.status, 200, response.body.toString());
  return (JSON.parse(response.body.toString()) as { hosts: Host[] }).hosts;
}

describe('registry: the real nacos client', () => {
  let server = '';
  before(async () => {
    server = await startRegistry();
  });

  test('registers instances and reads them back with getAllInstances and selectInstances', async () => {
    const naming = await client(server);
    await naming.registerInstance('order-service', {
      ip: '10.0.0.1',
      port: 8080,
      weight: 3,
      // Beats every 100 ms keep it alive across the shortened timeouts.
      metadata: { version: 'v1', ...beatEvery(100).metadata },
    } as never);
    const hosts = (await naming.getAllInstances(
      'order-service',
      'DEFAULT_GROUP',
      '',
      false,
    )) as unknown as Host[];
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]?.ip, '10.0.0.1');
    assert.equal(hosts[0]?.port, 8080);
    assert.equal(hosts[0]?.weight, 3);
    assert.equal(hosts[0]?.healthy, true);
    assert.equal(hosts[0]?.metadata.version, 'v1');
    const healthy = (await naming.selectInstances(
      'order-service',
      'DEFAULT_GROUP',
      '',
      true,
      false,
    )) as unknown as Host[];
    assert.deepEqual(
      healthy.map((h) => h.ip),
      ['10.0.0.1'],
    );
    await naming.deregisterInstance('order-service', { ip: '10.0.0.1', port: 8080 } as never);
    assert.deepEqual(await hostsOf(server, 'DEFAULT_GROUP@@order-service'), []);
  });

  test('a subscriber hears registrations and deregistrations pushed by the server', async () => {
    const producer = await client(server);
    const consumer = await client(server);
    let seen: Host[] = [];
    consumer.subscribe({ serviceName: 'pay-service', groupName: 'shop' }, (hosts: unknown) => {
      seen = hosts as Host[];
    });
    await producer.registerInstance(
      'pay-service',
      { ip: '10.0.1.1', port: 80, ...beatEvery(100) } as never,
      'shop',
    );
    await waitUntil(() => seen.length === 1, {
      timeoutMs: 5_000,
      what: 'the subscriber to see one instance',
    });
    await producer.registerInstance(
      'pay-service',
      { ip: '10.0.1.2', port: 80, ...beatEvery(100) } as never,
      'shop',
    );
    await waitUntil(() => seen.length === 2, {
      timeoutMs: 5_000,
      what: 'the subscriber to see two instances',
    });
    await producer.deregisterInstance('pay-service', { ip: '10.0.1.1', port: 80 } as never, 'shop');
    // The client ignores empty lists (ServiceInfo.isValid), so the last deregistration is not observable here.
    await waitUntil(() => seen.length === 1 && seen[0]?.ip === '10.0.1.2', {
      timeoutMs: 5_000,
      what: 'the subscriber to see the deregistration',
    });
  });

  test('when the client stops beating, its instance turns unhealthy, then disappears', async () => {
    const naming = await client(server);
    await naming.registerInstance('cart-service', { ip: '10.0.2.1', port: 80, ...beatEvery(100) } as never);
    await waitUntil(async () => (await hostsOf(server, 'DEFAULT_GROUP@@cart-service'))[0]?.healthy === true, {
      timeoutMs: 2_000,
      what: 'the registered instance',
    });
    await naming.close();
    await waitUntil(
      async () => (await hostsOf(server, 'DEFAULT_GROUP@@cart-service'))[0]?.healthy === false,
      {
        timeoutMs: 5_000,
        what: 'the silent instance to turn unhealthy',
        intervalMs: 20,
      },
    );
    assert.deepEqual(await hostsOf(server, 'DEFAULT_GROUP@@cart-service', '&healthyOnly=true'), []);
    await waitUntil(async () => (await hostsOf(server, 'DEFAULT_GROUP@@cart-service')).length === 0, {
      timeoutMs: 5_000,
      what: 'the silent instance to be removed',
    });
  });

  test('service CRUD and listing through the HTTP API', async () => {
    const base = `http://${server}/nacos/v1/ns`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const create = await request(`${base}/service`, {
      method: 'POST',
      headers: form,
      body: 'serviceName=stock-service&groupName=shop&protectThreshold=0.5&metadata=team%3Dinventory',
    });
    assert.equal(create.status, 200);
    assert.equal(create.body.toString(), 'ok');
    const again = await request(`${base}/service?serviceName=shop@@stock-service`, { method: 'POST' });
    assert.equal(again.status, 400);
    const got = JSON.parse(
      (await request(`${base}/service?serviceName=stock-service&groupName=shop`)).body.toString(),
    );
    assert.deepEqual(got, {
      namespaceId: 'public',
      groupName: 'shop',
      name: 'stock-service',
      protectThreshold: 0.5,
      metadata: { team: 'inventory' },
      selector: { type: 'none' },
      clusters: [],
    });
    const list = JSON.parse(
      (await request(`${base}/service/list?pageNo=1&pageSize=10&groupName=shop`)).body.toString(),
    );
    assert.ok(list.doms.includes('stock-service'));
    assert.equal(list.count, list.doms.length);
    const update = await request(`${base}/service?serviceName=shop@@stock-service&protectThreshold=0.9`, {
      method: 'PUT',
    });
    assert.equal(update.status, 200);
    const deleted = await request(`${base}/service?serviceName=shop@@stock-service`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    const gone = await request(`${base}/service?serviceName=shop@@stock-service`);
    assert.equal(gone.status, 404);
  });

  test('bad input gets Nacos-style 4xx answers with a clear message, and the server keeps serving', async () => {
    const base = `http://${server}/nacos/v1/ns`;
    const cases: [string, string, number, RegExp][] = [
      ['POST', '/instance?ip=10.0.0.1&port=8080', 400, /Param 'serviceName' is required/],
      ['POST', '/instance?serviceName=a&ip=10.0.0.1&port=80a', 400, /Param 'port' is illegal/],
      ['POST', '/instance?serviceName=a&ip=not-an-ip&port=80', 400, /IP address/],
      [
        'POST',
        '/instance?serviceName=a&ip=10.0.0.1&port=80&weight=10001',
        400,
        /weight .* between 0 and 10000/,
      ],
      ['POST', '/instance?serviceName=a&ip=10.0.0.1&port=80&weight=-1', 400, /weight/],
      [
        'POST',
        '/instance?serviceName=a&ip=10.0.0.1&port=80&namespaceId=nowhere',
        400,
        /namespace 'nowhere' does not exist/,
      ],
      ['POST', '/instance?serviceName=a&ip=10.0.0.1&port=80&metadata=%7Bbroken', 400, /not valid JSON/],
      ['PUT', '/instance?serviceName=a&ip=10.9.9.9&port=80', 400, /instance not exist/],
      ['PUT', '/instance/beat?serviceName=a&beat=%5B', 400, /beat/],
      ['PUT', '/service?serviceName=nope', 400, /not found/],
      ['GET', '/nowhere', 404, /no API/],
    ];
    for (const [method, path, status, message] of cases) {
      const response = await request(`${base}${path}`, { method });
      assert.equal(response.status, status, `${method} ${path}: ${response.body.toString()}`);
      assert.match(response.body.toString(), /^caused: .*;$/);
      assert.match(response.body.toString(), message, `${method} ${path}`);
    }
    const oversize = await request(`${base}/instance`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `serviceName=a&ip=10.0.0.1&port=80&metadata=${encodeURIComponent(JSON.stringify({ k: 'x'.repeat(17_000) }))}`,
    });
    assert.equal(oversize.status, 400);
    assert.match(oversize.body, /Param 'metadata' is too large/);
    // A light beat for an unknown instance answers 20404 so that the client registers again.
    const beat = await request(`${base}/instance/beat?serviceName=a&ip=10.0.0.9&port=80`, { method: 'PUT' });
    assert.deepEqual(JSON.parse(beat.body.toString()), {
      clientBeatInterval: 5000,
      code: 20404,
      lightBeatEnabled: true,
    });
    // The dev namespace is configured, so it is accepted.
    const dev = await request(
      `${base}/instance?serviceName=a&ip=10.0.0.1&port=80&namespaceId=dev&ephemeral=false`,
      {
        method: 'POST',
      },
    );
    assert.equal(dev.status, 200);
  });
});

describe('registry: authentication', () => {
  let server = '';
  before(async () => {
    server = await startRegistry({
      auth: {
        enabled: true,
        users: [{ username: 'nacos', passwordHash: await bcrypt.hash('s3cret', 4) }],
        tokenTtl: 60_000,
        tokenSecret: undefined,
      },
    });
  });

  test('login returns an access token that authorises requests; missing or wrong credentials get 403', async () => {
    const base = `http://${server}/nacos/v1`;
    const anonymous = await request(`${base}/ns/instance/list?serviceName=a`);
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body.toString(), 'caused: user not found!;');
    const wrong = await request(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=nacos&password=nope',
    });
    assert.equal(wrong.status, 403);
    const login = await request(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=nacos&password=s3cret',
    });
    assert.equal(login.status, 200);
    const { accessToken, tokenTtl } = JSON.parse(login.body.toString()) as {
      accessToken: string;
      tokenTtl: number;
    };
    assert.equal(tokenTtl, 60);
    const authorised = await request(`${base}/ns/instance/list?serviceName=a&accessToken=${accessToken}`);
    assert.equal(authorised.status, 200);
    const forged = await request(`${base}/ns/instance/list?serviceName=a&accessToken=${accessToken}x`);
    assert.equal(forged.status, 403);
  });

  test('the nacos client with username/password registers and reads', async () => {
    const naming = await client(server, { username: 'nacos', password: 's3cret' });
    await naming.registerInstance('secure-service', { ip: '10.0.3.1', port: 80, ...beatEvery(100) } as never);
    const hosts = (await naming.getAllInstances(
      'secure-service',
      'DEFAULT_GROUP',
      '',
      false,
    )) as unknown as Host[];
    assert.deepEqual(
      hosts.map((h) => h.ip),
      ['10.0.3.1'],
    );
  });
});

/** Metadata that makes the server tell the client to beat every `ms` (Nacos' `preserved.heart.beat.interval`). */
function beatEvery(ms: number): { metadata: Record<string, string> } {
  return { metadata: { 'preserved.heart.beat.interval': String(ms) } };
}
