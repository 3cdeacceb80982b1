/**
 * Hot reload under load: 16 keep-alive clients send requests without pause while the manifests are rewritten ten
 * times a second (endpoint sets moving between upstreams that all stay up, a path and an annotation toggling).
 * Not one request may fail, and the last configuration must end up live.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { GatewayProcess } from '../support/gateway-process.js';
import { jsonOf, request } from '../support/http-client.js';
import { type IngressPath, ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const CLIENTS = 16;
const REWRITES = 30;
const REWRITE_INTERVAL_MS = 100;

/**
 * Revision `i` of the manifest: rotating endpoint sets, `/extra` on odd revisions, a changing read timeout. The
 * final revision keeps only u3 and adds the host `final.test`, which no earlier revision routes.
 */
function revision(i: number, upstreams: readonly Upstream[], final = false): string {
  const [u1, u2, u3] = upstreams as [Upstream, Upstream, Upstream];
  const sets = [
    [u1, u2],
    [u2, u3],
    [u1, u3],
    [u1, u2, u3],
  ];
  const endpoints = final ? [u3] : (sets[i % sets.length] as Upstream[]);
  const paths: IngressPath[] = [{ path: '/', service: 'app' }];
  if (i % 2 === 1) paths.push({ path: '/extra', pathType: 'Exact', service: 'app' });
  return toYaml([
    ...serviceWithEndpoints('app', endpoints),
    ingress('live', {
      annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': String(30 + (i % 2)) },
      rules: [
        { host: 'live.test', paths },
        ...(final ? [{ host: 'final.test', paths: [{ path: '/', service: 'app' }] }] : []),
      ],
    }),
  ]);
}

test('manifest rewrites ten times a second under concurrent load fail no request', async (t) => {
  const upstreams: Upstream[] = [];
  for (const name of ['u1', 'u2', 'u3']) {
    const upstream = await startEchoUpstream(name);
    t.after(() => upstream.close());
    upstreams.push(upstream);
  }
  const gateway = await GatewayProcess.start(t, { manifests: { 'live.yaml': revision(0, upstreams) } });
  const pool = new Pool(gateway.urls.web, { connections: CLIENTS });
  t.after(() => pool.destroy());

  const failures: string[] = [];
  const seen = new Map<string, number>();
  let total = 0;
  let running = true;
  const client = async (id: number): Promise<void> => {
    while (running) {
      try {
        const { statusCode, body } = await pool.request({
          method: 'GET',
          path: `/c${id}/${total}`,
          headers: { host: 'live.test' },
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const text = await body.text();
        total++;
        if (statusCode !== 200) {
          failures.push(`${statusCode} ${text.slice(0, 200)}`);
          continue;
        }
        const { name } = JSON.parse(text) as EchoBody;
        seen.set(name, (seen.get(name) ?? 0) + 1);
      } catch (error) {
        total++;
        failures.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  };

  const versionBefore = (await gateway.snapshot()).version;
  const clients = Array.from({ length: CLIENTS }, (_, id) => client(id));
  for (let i = 1; i <= REWRITES; i++) {
    await gateway.writeManifest('live.yaml', revision(i, upstreams));
    await delay(REWRITE_INTERVAL_MS);
  }
  running = false;
  await Promise.all(clients);
  const versionAfter = (await gateway.snapshot()).version;
  t.diagnostic(
    `${total} requests, ${versionAfter - versionBefore} reloads, answered by ${JSON.stringify(Object.fromEntries(seen))}`,
  );

  assert.deepEqual(
    failures.slice(0, 10),
    [],
    `${failures.length} of ${total} requests failed\n${gateway.tail()}`,
  );
  assert.ok(total >= 100, `only ${total} requests were sent; the load did not run`);
  assert.deepEqual(
    [...seen.keys()].filter((name) => !['u1', 'u2', 'u3'].includes(name)),
    [],
  );
  // Rewrites close together may be debounced into one reload, but far from all of them.
  assert.ok(
    versionAfter - versionBefore >= 5,
    `only ${versionAfter - versionBefore} reloads during ${REWRITES} rewrites`,
  );

  await gateway.writeManifest('live.yaml', revision(REWRITES + 1, upstreams, true));
  await waitUntil(
    async () => (await request(`${gateway.urls.web}/`, { headers: { host: 'final.test' } })).status === 200,
    {
      timeoutMs: 10_000,
      what: 'the final revision to be live',
    },
  );
  const served: string[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await request(`${gateway.urls.web}/after`, { headers: { host: 'live.test' } });
    assert.equal(response.status, 200);
    served.push(jsonOf<EchoBody>(response).name);
  }
  const backends = (await gateway.snapshot()).backends.map((b) => ({
    name: b.name,
    ports: b.endpoints.map((e) => e.port),
  }));
  const ports = upstreams.map((u) => `${u.name}=${u.port}`).join(' ');
  assert.deepEqual(
    served,
    ['u3', 'u3', 'u3', 'u3', 'u3', 'u3'],
    `endpoints removed by the final revision still served; upstreams ${ports}, snapshot ${JSON.stringify(backends)}`,
  );
});
