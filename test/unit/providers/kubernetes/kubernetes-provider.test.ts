/**
 * The Kubernetes provider against the fake API server, with the real `@kubernetes/client-node` informers: initial
 * sync over paged LISTs, readiness held back until every kind listed, TLS Secrets filtered to referenced ones, a
 * cut watch resumed from its resourceVersion without a relist, 410 Gone answered by a relist, 403 reported.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeObject, ObjectSet } from '../../../../src/objects/envelope.js';
import { KubeApi } from '../../../../src/providers/kubernetes/kube-api.js';
import { KubernetesProvider } from '../../../../src/providers/kubernetes/kubernetes-provider.js';
import { FakeApiServer } from '../../../support/fake-apiserver.js';
import { capturingLogger } from '../../../support/kube/log-capture.js';
import { ingress, serviceWithEndpoints } from '../../../support/manifests.js';
import { waitUntil } from '../../../support/wait.js';

const WAIT = { timeoutMs: 10_000, intervalMs: 20 };

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidegate-kube-provider-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  readonly server: FakeApiServer;
  readonly sets: ObjectSet[];
  readonly lines: Record<string, unknown>[];
  readonly provider: KubernetesProvider;
  last(): ObjectSet | undefined;
}

let counter = 0;
async function startProvider(
  t: { after(fn: () => Promise<void>): void },
  seed: (server: FakeApiServer) => void,
  options: { namespaces?: string[]; labelSelector?: string } = {},
): Promise<Running> {
  const server = await FakeApiServer.start();
  seed(server);
  const kubeconfig = await server.writeKubeconfig(join(dir, `kubeconfig-${++counter}`));
  const { logger, lines } = capturingLogger('debug');
  const provider = new KubernetesProvider({
    api: KubeApi.connect({ kubeconfig }),
    namespaces: options.namespaces ?? [],
    labelSelector: options.labelSelector,
    debounceMs: 20,
    pageSize: 1,
    logger,
  });
  const sets: ObjectSet[] = [];
  const abort = new AbortController();
  const run = provider.run((set) => sets.push(set), abort.signal);
  t.after(async () => {
    abort.abort();
    await run;
    await server.close();
  });
  return { server, sets, lines, provider, last: () => sets[sets.length - 1] };
}

const names = (set: ObjectSet | undefined, kind: string): string[] =>
  (set?.objects ?? [])
    .filter((o) => o.object.kind === kind)
    .map((o) => `${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`)
    .sort();
const find = (set: ObjectSet | undefined, kind: string, name: string): KubeObject | undefined =>
  set?.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object;

function tls(name: string, type = 'kubernetes.io/tls'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type,
    stringData: { 'tls.crt': 'cert', 'tls.key': 'key' },
  };
}

function seedApp(server: FakeApiServer): void {
  server.apply({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'tidegate' },
    spec: { controller: 'tidegate.io/ingress-controller' },
  });
  for (const object of serviceWithEndpoints('app', [{ host: '127.0.0.1', port: 1 }])) server.apply(object);
  for (const object of serviceWithEndpoints('other', [{ host: '127.0.0.1', port: 2 }])) server.apply(object);
  server.apply(
    ingress('app', {
      tls: [{ hosts: ['app.test'], secretName: 'app-tls' }],
      rules: [{ host: 'app.test', paths: [{ path: '/', service: 'app' }] }],
    }),
  );
  server.apply(tls('app-tls'));
  server.apply(tls('unreferenced-tls'));
  server.apply(tls('opaque', 'Opaque'));
}

test('the first set holds every kind, listed in pages, with only referenced TLS Secrets', async (t) => {
  const running = await startProvider(t, seedApp);
  const first = await waitUntil(() => running.last(), { ...WAIT, what: 'the first set' });
  assert.equal(first.provider, 'kubernetes');
  assert.deepEqual(names(first, 'IngressClass'), ['/tidegate']);
  assert.deepEqual(names(first, 'Ingress'), ['default/app']);
  assert.deepEqual(names(first, 'Service'), ['default/app', 'default/other']);
  assert.deepEqual(names(first, 'EndpointSlice'), ['default/app-1', 'default/other-2']);
  assert.deepEqual(
    names(first, 'Secret'),
    ['default/app-tls'],
    'unreferenced and non-TLS Secrets are left out',
  );
  const secret = find(first, 'Secret', 'app-tls');
  assert.deepEqual(secret?.data, { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' });
  assert.equal(secret?.metadata.resourceVersion, undefined, 'resourceVersion is not part of the set');
  assert.deepEqual(first.objects[0]?.origin, { provider: 'kubernetes' });
  // Two Services in pages of one: the continue token was followed.
  assert.ok(running.server.requests.some((r) => r.verb === 'list' && r.query.continue !== undefined));
  // The Secret informer asks the server for TLS Secrets only.
  assert.ok(
    running.server.requests.some(
      (r) => r.resource === 'secrets' && r.query.fieldSelector === 'type=kubernetes.io/tls',
    ),
  );
});

test('nothing is emitted until every kind has listed; a 403 is reported with the resource and the fix', async (t) => {
  const running = await startProvider(t, (server) => {
    seedApp(server);
    server.forbid('endpointslices');
  });
  const denied = await waitUntil(
    () => running.lines.find((line) => String(line.msg).includes('forbidden (403)')),
    { ...WAIT, what: 'the 403 to be logged' },
  );
  assert.equal(denied.level, 'error');
  assert.match(String(denied.msg), /endpointslices/);
  assert.match(String(denied.msg), /cannot list resource "endpointslices" in API group "discovery.k8s.io"/);
  assert.match(String(denied.msg), /deploy\/rbac\.yaml/);
  await delay(200);
  assert.equal(running.sets.length, 0, 'a set went out before EndpointSlices were listed');
  running.server.allow('endpointslices');
  const first = await waitUntil(() => running.last(), { ...WAIT, what: 'the set after access was granted' });
  assert.deepEqual(names(first, 'EndpointSlice'), ['default/app-1', 'default/other-2']);
});

test('add, update and delete of every kind reach the emitted set', async (t) => {
  const running = await startProvider(t, seedApp);
  await waitUntil(() => running.last(), { ...WAIT, what: 'the first set' });
  const { server } = running;
  server.apply({ ...ingress('second', { rules: [{ paths: [{ path: '/b', service: 'other' }] }] }) });
  server.remove('Service', 'default', 'other');
  server.apply({
    ...serviceWithEndpoints('app', [{ host: '127.0.0.9', port: 1 }])[1],
  } as Record<string, unknown>);
  server.remove('IngressClass', undefined, 'tidegate');
  await waitUntil(
    () => {
      const set = running.last();
      const slice = find(set, 'EndpointSlice', 'app-1') as
        | { endpoints?: { addresses: string[] }[] }
        | undefined;
      return (
        names(set, 'Ingress').includes('default/second') &&
        !names(set, 'Service').includes('default/other') &&
        names(set, 'IngressClass').length === 0 &&
        slice?.endpoints?.[0]?.addresses[0] === '127.0.0.9'
      );
    },
    { ...WAIT, what: 'every change in the set' },
  );
  // A Secret becomes part of the set once an Ingress references it, and leaves with the reference.
  server.apply(
    ingress('second', {
      tls: [{ hosts: ['b.test'], secretName: 'unreferenced-tls' }],
      rules: [{ paths: [{ path: '/b', service: 'other' }] }],
    }),
  );
  await waitUntil(() => names(running.last(), 'Secret').includes('default/unreferenced-tls'), WAIT);
  server.remove('Ingress', 'default', 'second');
  await waitUntil(() => !names(running.last(), 'Secret').includes('default/unreferenced-tls'), WAIT);
});

test('a watch cut mid-way resumes from its resourceVersion without relisting', async (t) => {
  const running = await startProvider(t, seedApp);
  await waitUntil(() => running.last(), { ...WAIT, what: 'the first set' });
  const { server } = running;
  await waitUntil(() => server.watchCount() === 5, { ...WAIT, what: 'five open watches' });
  const lists = server.listCount('services');
  assert.ok(server.cutWatches() === 5);
  for (const object of serviceWithEndpoints('late', [{ host: '127.0.0.1', port: 3 }])) server.apply(object);
  await waitUntil(() => names(running.last(), 'Service').includes('default/late'), {
    ...WAIT,
    what: 'the change made while the watch was down',
  });
  assert.equal(server.listCount('services'), lists, 'the informer relisted instead of resuming');
  const resumed = server.requests.filter((r) => r.verb === 'watch' && r.resource === 'services');
  assert.ok(resumed.length >= 2);
  assert.notEqual(resumed[resumed.length - 1]?.query.resourceVersion ?? '', '');
});

test('a watch answered with 410 Gone relists and picks up what changed meanwhile', async (t) => {
  const running = await startProvider(t, seedApp);
  await waitUntil(() => running.last(), { ...WAIT, what: 'the first set' });
  const { server } = running;
  await waitUntil(() => server.watchCount() === 5, { ...WAIT, what: 'five open watches' });
  const lists = server.listCount('ingresses');
  // Take the watches down, change things, and compact the history the informers would resume from.
  server.cutWatches();
  server.remove('Ingress', 'default', 'app');
  server.apply(ingress('replacement', { rules: [{ paths: [{ path: '/', service: 'app' }] }] }));
  server.compact();
  await waitUntil(
    () => {
      const set = running.last();
      return names(set, 'Ingress').join() === 'default/replacement' && names(set, 'Secret').length === 0;
    },
    { ...WAIT, what: 'the relisted state' },
  );
  assert.ok(server.listCount('ingresses') > lists, 'no relist after 410');
});

test('namespaces and the label selector narrow what is watched', async (t) => {
  const running = await startProvider(
    t,
    (server) => {
      seedApp(server);
      server.apply({
        ...ingress('labelled', { rules: [{ paths: [{ path: '/l', service: 'app' }] }] }),
        metadata: { name: 'labelled', namespace: 'default', labels: { team: 'web' } },
      });
      server.apply({
        ...ingress('elsewhere', { rules: [{ paths: [{ path: '/e', service: 'app' }] }] }),
        metadata: { name: 'elsewhere', namespace: 'other', labels: { team: 'web' } },
      });
    },
    { namespaces: ['default'], labelSelector: 'team=web' },
  );
  const first = await waitUntil(() => running.last(), { ...WAIT, what: 'the first set' });
  assert.deepEqual(names(first, 'Ingress'), ['default/labelled']);
  assert.ok(
    running.server.requests.some((r) => r.path === '/apis/networking.k8s.io/v1/namespaces/default/ingresses'),
  );
});
