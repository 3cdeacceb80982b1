/**
 * Ingress-controller mode end to end: two real gateway processes with `providers.kubernetes` pointing at a
 * kubeconfig for the fake API server (real `@kubernetes/client-node` informers, real TLS and bearer tokens).
 * Covers routing after the initial sync, add/update/delete of every kind reaching routing, a cut watch, Secret
 * rotation, IngressClass filtering, Ingress status written by the elected leader only and taken over when it
 * dies, and RBAC denials reported without a crash. The endpoint-change → routing latency is printed as a
 * diagnostic (measured, never asserted).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { selfSignedCertificate } from '../support/certs.js';
import { Cleanups } from '../support/cleanups.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { type HttpResponse, jsonOf, peerCertificate, request } from '../support/http-client.js';
import { endpointSlices, ingress, service, serviceWithEndpoints, tlsSecret } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const WAIT = { timeoutMs: 10_000, intervalMs: 25 };
const PUBLISHED_IP = '192.0.2.10';

const cleanups = new Cleanups();
after(() => cleanups.run());

let server: FakeApiServer;
let dir = '';
let upstreamA: Upstream;
let upstreamB: Upstream;
const replicas: Record<'a' | 'b', GatewayProcess | null> = { a: null, b: null };

function gatewayConfig(kubeconfig: string, identity: string): Record<string, unknown> {
  return {
    providers: {
      kubernetes: {
        kubeconfig,
        debounce: '20ms',
        status: { addresses: [PUBLISHED_IP], resync: '1s' },
        // Short leases so the fail-over test runs in seconds; the defaults are client-go's 15s/10s/2s.
        leaderElection: { identity, leaseDuration: '2s', renewDeadline: '1500ms', retryPeriod: '300ms' },
      },
    },
  };
}

before(async () => {
  server = await FakeApiServer.start({ tokens: ['token-replica-a', 'token-replica-b'] });
  cleanups.after(() => server.close());
  dir = await mkdtemp(join(tmpdir(), 'tidegate-kube-e2e-'));
  cleanups.after(() => rm(dir, { recursive: true, force: true }));
  upstreamA = await startEchoUpstream('a');
  upstreamB = await startEchoUpstream('b');
  cleanups.after(() => upstreamA.close());
  cleanups.after(() => upstreamB.close());

  server.apply({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'tidegate' },
    spec: { controller: 'tidegate.io/ingress-controller' },
  });
  server.apply({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'nginx' },
    spec: { controller: 'k8s.io/ingress-nginx' },
  });
  for (const object of serviceWithEndpoints('app', [upstreamA])) server.apply(object);
  server.apply(ingress('app', { rules: [{ host: 'app.test', paths: [{ path: '/', service: 'app' }] }] }));
  const foreign = ingress('foreign', {
    rules: [{ host: 'foreign.test', paths: [{ path: '/', service: 'app' }] }],
  });
  server.apply({ ...foreign, spec: { ...(foreign.spec as object), ingressClassName: 'nginx' } });

  for (const name of ['a', 'b'] as const) {
    const kubeconfig = await server.writeKubeconfig(join(dir, `kubeconfig-${name}`), `token-replica-${name}`);
    replicas[name] = await GatewayProcess.start(cleanups, {
      manifests: {},
      config: gatewayConfig(kubeconfig, `replica-${name}`),
    });
  }
});

function replica(name: 'a' | 'b'): GatewayProcess {
  const gateway = replicas[name];
  if (!gateway) throw new Error(`replica ${name} did not start`);
  return gateway;
}

const get = (gateway: GatewayProcess, host: string, path = '/'): Promise<HttpResponse> =>
  request(`${gateway.urls.web}${path}`, { headers: { host } });

async function answeredBy(gateway: GatewayProcess, host: string): Promise<string | number> {
  const response = await get(gateway, host);
  return response.status === 200 ? jsonOf<EchoBody>(response).name : response.status;
}

function statusIps(name: string): string[] {
  const object = server.get('Ingress', 'default', name);
  const entries = (object?.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)
    ?.loadBalancer?.ingress;
  return (entries ?? []).map((entry) => entry.ip ?? '');
}

function leaseHolder(): string {
  const lease = server.get('Lease', 'default', 'tidegate-leader');
  return String((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '');
}

test('both replicas route the Ingresses of their class after the initial sync; other classes are ignored', async () => {
  for (const name of ['a', 'b'] as const) {
    assert.equal(await answeredBy(replica(name), 'app.test'), 'a');
    assert.equal((await get(replica(name), 'foreign.test')).status, 404);
  }
  const snapshot = await replica('a').snapshot();
  assert.ok(JSON.stringify(snapshot).includes('not served by this controller'));
});

test('endpoint changes reach routing quickly (latency reported as a diagnostic)', async (t) => {
  const gateway = replica('a');
  const samples: number[] = [];
  for (const [from, to] of [
    [upstreamA, upstreamB],
    [upstreamB, upstreamA],
    [upstreamA, upstreamB],
    [upstreamB, upstreamA],
  ] as const) {
    assert.equal(await answeredBy(gateway, 'app.test'), from.name);
    const started = performance.now();
    for (const slice of endpointSlices('app', [to]))
      server.apply({ ...slice, metadata: { ...slice.metadata, name: `app-${upstreamA.port}` } });
    await waitUntil(async () => (await answeredBy(gateway, 'app.test')) === to.name, {
      timeoutMs: 10_000,
      intervalMs: 2,
      what: `requests to reach ${to.name}`,
    });
    samples.push(performance.now() - started);
  }
  const sorted = [...samples].sort((x, y) => x - y);
  t.diagnostic(
    `endpoint change → routing latency over ${samples.length} changes: min ${sorted[0]?.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms (provider debounce 20 ms + control debounce 100 ms)`,
  );
});

test('add, update and delete of Ingress, Service and EndpointSlice reach routing, also across a cut watch', async () => {
  const gateway = replica('b');
  for (const object of serviceWithEndpoints('extra', [upstreamB])) server.apply(object);
  server.apply(
    ingress('extra', { rules: [{ host: 'extra.test', paths: [{ path: '/x', service: 'extra' }] }] }),
  );
  await waitUntil(async () => (await get(gateway, 'extra.test', '/x')).status === 200, {
    ...WAIT,
    what: 'the added Ingress',
  });

  server.cutWatches();
  server.apply(
    ingress('extra', { rules: [{ host: 'extra.test', paths: [{ path: '/y', service: 'extra' }] }] }),
  );
  await waitUntil(async () => (await get(gateway, 'extra.test', '/y')).status === 200, {
    ...WAIT,
    what: 'the updated Ingress after the watch was cut',
  });
  assert.equal((await get(gateway, 'extra.test', '/x')).status, 404);

  server.remove('EndpointSlice', 'default', `extra-${upstreamB.port}`);
  await waitUntil(async () => (await get(gateway, 'extra.test', '/y')).status === 503, {
    ...WAIT,
    what: 'no endpoints → 503',
  });
  server.remove('Service', 'default', 'extra');
  await waitUntil(async () => (await get(gateway, 'extra.test', '/y')).status === 500, {
    ...WAIT,
    what: 'no Service → 500',
  });
  server.apply(service('extra'));
  for (const slice of endpointSlices('extra', [upstreamA])) server.apply(slice);
  await waitUntil(async () => (await get(gateway, 'extra.test', '/y')).status === 200, {
    ...WAIT,
    what: 'the Service back',
  });
  server.remove('Ingress', 'default', 'extra');
  await waitUntil(async () => (await get(gateway, 'extra.test', '/y')).status === 404, {
    ...WAIT,
    what: 'the deleted Ingress',
  });
});

test('rotating a TLS Secret swaps the served certificate live', async () => {
  const gateway = replica('a');
  const before = await selfSignedCertificate(['secure.test']);
  const rotated = await selfSignedCertificate(['secure.test']);
  server.apply(tlsSecret('secure-tls', before));
  server.apply(
    ingress('secure', {
      tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }],
      rules: [{ host: 'secure.test', paths: [{ path: '/', service: 'app' }] }],
    }),
  );
  const handshake = () =>
    peerCertificate({ host: '127.0.0.1', port: gateway.ports.websecure, servername: 'secure.test' });
  await waitUntil(async () => (await handshake()).fingerprint256 === before.fingerprint256, {
    ...WAIT,
    what: 'the Secret certificate to be served',
  });
  server.apply(tlsSecret('secure-tls', rotated));
  await waitUntil(async () => (await handshake()).fingerprint256 === rotated.fingerprint256, {
    ...WAIT,
    what: 'the rotated certificate to be served',
  });
  const snapshot = JSON.stringify(await gateway.snapshot());
  assert.ok(!snapshot.includes(Buffer.from(rotated.keyPem).toString('base64')));
  assert.ok(!snapshot.includes('PRIVATE KEY'));
});

test('only the leader writes Ingress status; the other replica takes over when the leader dies', async () => {
  await waitUntil(() => statusIps('app').includes(PUBLISHED_IP), {
    ...WAIT,
    what: 'the status of app',
  });
  assert.deepEqual(statusIps('foreign'), [], 'an Ingress of another class got our status');
  const holder = leaseHolder();
  assert.match(holder, /^replica-[ab]$/);
  const writers = new Set(
    server.requests.filter((r) => r.resource === 'ingresses/status' && r.status === 200).map((r) => r.token),
  );
  assert.deepEqual([...writers], [`token-${holder}`], 'a replica that does not lead wrote status');

  const leader = holder === 'replica-a' ? 'a' : 'b';
  const survivor = leader === 'a' ? 'b' : 'a';
  // SIGKILL: no lease release, so the survivor must wait for the lease to expire, as after a node failure.
  replica(leader).kill('SIGKILL');
  await replica(leader).waitForExit(5_000);
  server.apply({ ...(server.get('Ingress', 'default', 'app') as object), status: {} } as Record<
    string,
    unknown
  >);
  await waitUntil(() => leaseHolder() === `replica-${survivor}`, {
    ...WAIT,
    what: 'the survivor to take the lease',
  });
  await waitUntil(() => statusIps('app').includes(PUBLISHED_IP), {
    ...WAIT,
    what: 'the survivor to rewrite status',
  });
  assert.ok(
    server.requests.some(
      (r) => r.resource === 'ingresses/status' && r.status === 200 && r.token === `token-replica-${survivor}`,
    ),
  );
  assert.equal(await answeredBy(replica(survivor), 'app.test'), 'a');
});

test('RBAC denials are reported clearly and routing goes on', async () => {
  const gateway = replicas.a?.running ? replica('a') : replica('b');
  server.forbid('ingresses/status');
  server.apply(
    ingress('denied', { rules: [{ host: 'denied.test', paths: [{ path: '/', service: 'app' }] }] }),
  );
  const statusLine = await gateway.waitForLog(
    (line) =>
      typeof line.msg === 'string' && line.msg.includes('ingresses/status') && line.msg.includes('403'),
    10_000,
  );
  assert.equal(statusLine.level, 'error');

  server.forbid('services');
  server.cutWatches('services');
  const listLine = await gateway.waitForLog(
    (line) => typeof line.msg === 'string' && line.msg.includes('access to services is forbidden (403)'),
    10_000,
  );
  // A refused watch carries only the status line through the client; a refused list also the RBAC message.
  assert.match(String(listLine.msg), /grant get\/list\/watch on services/);
  assert.ok(gateway.running);
  assert.equal(await answeredBy(gateway, 'app.test'), 'a');
  assert.equal((await gateway.admin('/readyz')).status, 200);
  server.allow('services');
  server.allow('ingresses/status');
});
