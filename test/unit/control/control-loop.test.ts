import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ControlLoop, type ReloadObserver } from '../../../src/control/control-loop.js';
import { systemClock } from '../../../src/core/clock.js';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import { createLogger } from '../../../src/observability/logger.js';
import { FileProvider } from '../../../src/providers/file/file-provider.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';
import { waitUntil } from '../../support/wait.js';

const logger = createLogger({ level: 'silent', format: 'json' });

function manifests(paths: readonly string[]): string {
  const rules = paths
    .map(
      (path) =>
        `          - { path: ${path}, pathType: Prefix, backend: { service: { name: shop, port: { number: 80 } } } }`,
    )
    .join('\n');
  return `apiVersion: v1
kind: Service
metadata: { name: shop, namespace: default }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: shop-1, namespace: default, labels: { kubernetes.io/service-name: shop } }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints: [{ addresses: [10.0.0.1] }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: default }
spec:
  rules:
    - host: shop.test
      http:
        paths:
${rules}
`;
}

async function setup(initial: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tidegate-control-'));
  await writeFile(join(dir, 'shop.yaml'), initial);
  const holder = new SnapshotHolder();
  const reloads = { ok: 0, failed: 0, rejected: -1 };
  const observer: ReloadObserver = {
    reloadSucceeded: (_version, rejected) => {
      reloads.ok++;
      reloads.rejected = rejected;
    },
    reloadFailed: () => {
      reloads.failed++;
    },
  };
  const control = new ControlLoop(
    {
      providers: [new FileProvider({ paths: [dir], watch: true, debounceMs: 20, logger })],
      translateOptions: {
        ingressClassName: 'tidegate',
        controllerName: 'tidegate.io/ingress-controller',
        watchWithoutClass: true,
        defaults: { connectTimeoutMs: 5000, readTimeoutMs: 60000, sendTimeoutMs: 60000, maxBodyBytes: null },
      },
      debounceMs: 20,
    },
    { holder, state: new EndpointStateRegistry(), reloads: observer, logger, clock: systemClock },
  );
  after(async () => {
    await control.close();
    await rm(dir, { recursive: true, force: true });
  });
  await control.start(new AbortController().signal);
  return { dir, holder, control, reloads };
}

test('the first set becomes a live table and readiness follows it', async () => {
  const { holder, control, reloads } = await setup(manifests(['/']));
  await waitUntil(() => control.ready, { timeoutMs: 5000, what: 'readiness' });
  assert.equal(holder.current?.version, 1);
  assert.equal(holder.current?.match('shop.test', '/x')?.backend?.name, 'backend/default/shop/80');
  assert.equal(reloads.ok, 1);
  assert.equal(reloads.rejected, 0);
});

test('a change swaps in a new table; an unchanged rewrite of the same content builds nothing', async () => {
  const { dir, holder, control } = await setup(manifests(['/a']));
  await waitUntil(() => control.ready, { timeoutMs: 5000, what: 'readiness' });
  const first = holder.current;
  assert.equal(first?.match('shop.test', '/b'), null);
  await writeFile(join(dir, 'shop.yaml'), manifests(['/a', '/b']));
  await waitUntil(() => holder.current?.match('shop.test', '/b'), { timeoutMs: 5000, what: 'the new route' });
  const second = holder.current;
  assert.equal(second?.version, 2);
  // The old table is untouched: a request that took it keeps its view.
  assert.equal(first?.match('shop.test', '/b'), null);
  await writeFile(join(dir, 'shop.yaml'), manifests(['/a', '/b']));
  await writeFile(join(dir, 'other.yaml'), '# only a comment\n');
  // Give the watcher time to deliver the events; the set is identical, so the version must not move.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(holder.current?.version, 2);
});

test('a broken object is rejected alone and the rest keeps serving', async () => {
  const { dir, holder, control, reloads } = await setup(manifests(['/']));
  await waitUntil(() => control.ready, { timeoutMs: 5000, what: 'readiness' });
  await writeFile(
    join(dir, 'bad.yaml'),
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: bad }\nspec: { rules: [{ host: "bad host!", http: { paths: [] } }] }\n---\nkind: [unclosed\n',
  );
  await waitUntil(() => (holder.current?.version ?? 0) >= 2, { timeoutMs: 5000, what: 'a reload' });
  assert.equal(holder.current?.match('shop.test', '/x')?.backend?.name, 'backend/default/shop/80');
  const rejected =
    holder.current?.statuses.filter((s) => s.conditions.some((c) => c.status === 'False')) ?? [];
  assert.deepEqual(rejected.map((s) => s.ref.kind).sort(), ['Document', 'Ingress']);
  assert.ok(rejected.every((s) => s.origin?.file?.endsWith('bad.yaml')));
  assert.equal(reloads.rejected, 2);
});
