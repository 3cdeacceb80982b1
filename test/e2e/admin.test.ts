/**
 * The admin API of a running gateway: liveness, readiness, request counts in `/metrics` by route, service, method
 * and code, and the shape of `/api/v1/snapshot`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backendName, endpointName, ingressRouteName } from '../../src/ir/names.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { request } from '../support/http-client.js';
import { ingress, NAMESPACE, SERVICE_PORT, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const ROUTE = ingressRouteName(NAMESPACE, 'app', 0, 0);
const BACKEND = backendName(NAMESPACE, 'app', SERVICE_PORT);

/** `name{a="b",…} value` lines of the Prometheus text format, for one metric name. */
function samples(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(metric.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1] as string] = m[2] as string;
    }
    out.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}

describe('admin API', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let upstream: Upstream;

  before(async () => {
    upstream = await startEchoUpstream('app');
    cleanups.after(() => upstream.close());
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'app.yaml': toYaml([
          ...serviceWithEndpoints('app', [upstream]),
          ingress('app', { rules: [{ host: 'app.test', paths: [{ path: '/', service: 'app' }] }] }),
        ]),
      },
    });
  });

  test('/healthz and /readyz answer 200 on a ready gateway', async () => {
    const health = await gateway.admin('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body, 'ok\n');
    assert.equal((await gateway.admin('/readyz')).status, 200);
  });

  test('the admin API is read-only and answers 404 for unknown paths', async () => {
    const post = await request(`${gateway.urls.admin}/healthz`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await gateway.admin('/nope')).status, 404);
  });

  test('/metrics counts the requests made, by entry point, route, service, method and code', async () => {
    const send = (host: string, method: string) =>
      request(`${gateway.urls.web}/m`, { method, headers: { host } });
    for (let i = 0; i < 3; i++) assert.equal((await send('app.test', 'GET')).status, 200);
    assert.equal((await send('app.test', 'POST')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await send('unknown.test', 'GET')).status, 404);

    const count = (
      text: string,
      route: string,
      service: string,
      method: string,
      code: string,
    ): number | undefined =>
      samples(text, 'tidegate_requests_total').find(
        (s) =>
          s.labels.entrypoint === 'web' &&
          s.labels.route === route &&
          s.labels.service === service &&
          s.labels.method === method &&
          s.labels.code === code,
      )?.value;
    let text = '';
    // A request is counted when its response has finished on the gateway's side, a moment after the client has it.
    await waitUntil(
      async () => {
        const response = await gateway.admin('/metrics');
        text = response.body;
        return (
          response.status === 200 &&
          count(text, ROUTE, BACKEND, 'GET', '200') === 3 &&
          count(text, ROUTE, BACKEND, 'POST', '200') === 1 &&
          count(text, '', '', 'GET', '404') === 2
        );
      },
      { timeoutMs: 5_000, what: 'the request counts in /metrics' },
    ).catch((error: Error) => assert.fail(`${error.message}\n${text}`));
    const durations = samples(text, 'tidegate_request_duration_seconds_count').find(
      (s) => s.labels.route === ROUTE && s.labels.service === BACKEND,
    );
    assert.equal(durations?.value, 4);
    assert.ok(
      samples(text, 'tidegate_config_reloads_total').length > 0,
      'no tidegate_config_reloads_total series',
    );
  });

  test('/api/v1/snapshot shows the virtual hosts, routes, backends and endpoints being served', async () => {
    const snapshot = await gateway.snapshot();
    assert.ok(Number.isInteger(snapshot.version) && snapshot.version >= 1, `version ${snapshot.version}`);
    assert.ok(!Number.isNaN(Date.parse(snapshot.generatedAt)));
    assert.deepEqual(
      snapshot.entryPoints.map((e) => [e.name, e.protocol]),
      [
        ['web', 'http'],
        ['websecure', 'https'],
      ],
    );
    assert.deepEqual(snapshot.providers, ['file']);
    assert.equal(snapshot.lastReload?.ok, true);

    const vhost = snapshot.virtualHosts.find((v) => v.hostname === 'app.test');
    assert.ok(vhost, JSON.stringify(snapshot.virtualHosts));
    assert.equal(vhost.routes.length, 1);
    const [route] = vhost.routes;
    assert.equal(route?.name, ROUTE);
    assert.deepEqual(route?.match, { type: 'Prefix', path: '/' });
    assert.equal(route?.backend, BACKEND);
    assert.deepEqual(route?.source, { kind: 'Ingress', namespace: NAMESPACE, name: 'app' });

    const backend = snapshot.backends.find((b) => b.name === BACKEND);
    assert.ok(backend, JSON.stringify(snapshot.backends));
    assert.deepEqual(
      backend.endpoints.map((e) => ({ name: e.name, address: e.address, port: e.port, ready: e.ready })),
      [
        {
          name: endpointName(BACKEND, '127.0.0.1', upstream.port),
          address: '127.0.0.1',
          port: upstream.port,
          ready: true,
        },
      ],
    );
    assert.deepEqual(snapshot.certificates, []);
    assert.deepEqual(snapshot.rejected, []);
  });
});
