/**
 * The fake API server speaks the protocol the real one does, checked with the real client's `Watch` and the
 * provider's `KubeApi`: 401 without a valid token, BOOKMARK events when asked for, 410 for an expired continue
 * token, the status subresource leaving the spec alone, and 409 Conflict on a stale resourceVersion.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Watch } from '@kubernetes/client-node';
import { KubeApi, KubeApiError } from '../../../../src/providers/kubernetes/kube-api.js';
import { FakeApiServer } from '../../../support/fake-apiserver.js';
import { ingress } from '../../../support/manifests.js';
import { waitUntil } from '../../../support/wait.js';

async function connect(t: { after(fn: () => Promise<void>): void }, token?: string) {
  const server = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'tidegate-fake-apiserver-'));
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const api = KubeApi.connect({ kubeconfig: await server.writeKubeconfig(join(dir, 'kubeconfig'), token) });
  return { server, api };
}

const rejection = async (promise: Promise<unknown>): Promise<KubeApiError> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof KubeApiError, `expected a KubeApiError, got ${String(error)}`);
  return error;
};

test('a wrong bearer token gets 401 Unauthorized', async (t) => {
  const { api } = await connect(t, 'not-a-token');
  const error = await rejection(api.request('GET', '/api/v1/services'));
  assert.equal(error.statusCode, 401);
  assert.equal(error.reason, 'Unauthorized');
});

test('watches stream events and bookmarks when allowWatchBookmarks is set', async (t) => {
  const { server, api } = await connect(t);
  const events: string[] = [];
  const controller = await new Watch(api.config).watch(
    '/apis/networking.k8s.io/v1/ingresses',
    { allowWatchBookmarks: true, resourceVersion: server.resourceVersion },
    (phase, object: { metadata?: { name?: string; resourceVersion?: string } }) =>
      events.push(`${phase}:${object.metadata?.name ?? object.metadata?.resourceVersion}`),
    () => {},
  );
  t.after(async () => controller.abort());
  server.apply(ingress('one', { rules: [{ paths: [{ path: '/', service: 's' }] }] }));
  server.bookmark();
  server.remove('Ingress', 'default', 'one');
  await waitUntil(() => events.length === 3, { timeoutMs: 5_000, what: 'three events' });
  assert.deepEqual(events, ['ADDED:one', `BOOKMARK:${Number(server.resourceVersion) - 1}`, 'DELETED:one']);
});

test('a continue token from before a compaction answers 410 Expired', async (t) => {
  const { server, api } = await connect(t);
  for (const name of ['a', 'b', 'c'])
    server.apply(ingress(name, { rules: [{ paths: [{ path: '/', service: 's' }] }] }));
  const page = await api.request<{ metadata: { continue?: string }; items: unknown[] }>(
    'GET',
    '/apis/networking.k8s.io/v1/ingresses',
    { query: { limit: '2' } },
  );
  assert.equal(page.items.length, 2);
  assert.ok(page.metadata.continue);
  // A write after the list, then a compaction past it: the list's snapshot is gone.
  server.apply(ingress('d', { rules: [{ paths: [{ path: '/', service: 's' }] }] }));
  server.compact();
  const error = await rejection(
    api.request('GET', '/apis/networking.k8s.io/v1/ingresses', {
      query: { continue: page.metadata.continue },
    }),
  );
  assert.equal(error.statusCode, 410);
  assert.equal(error.reason, 'Expired');
});

test('the status subresource changes only status; a stale resourceVersion gets 409 Conflict', async (t) => {
  const { server, api } = await connect(t);
  const stored = server.apply(ingress('app', { rules: [{ paths: [{ path: '/', service: 's' }] }] }));
  const path = '/apis/networking.k8s.io/v1/namespaces/default/ingresses/app';
  await api.request('PATCH', `${path}/status`, {
    body: { spec: { rules: [] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } },
    contentType: 'application/merge-patch+json',
  });
  const after = server.get('Ingress', 'default', 'app');
  assert.deepEqual(after?.spec, stored.spec);
  assert.deepEqual(after?.status, { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } });
  const error = await rejection(api.request('PUT', path, { body: stored }));
  assert.equal(error.statusCode, 409);
  assert.equal(error.reason, 'Conflict');
});
