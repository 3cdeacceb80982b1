/**
 * Routing through the real gateway: by host, by path (Exact vs Prefix, two Ingresses merging on one host), round
 * robin across three endpoints, the headers an upstream receives, and rewrite-target with capture groups.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { jsonOf, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';

describe('routing', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;

  /** GET through the web entry point; the answer must come from an echo upstream. */
  async function echo(host: string, path: string, headers: Record<string, string> = {}): Promise<EchoBody> {
    const response = await request(`${gateway.urls.web}${path}`, { headers: { host, ...headers } });
    assert.equal(
      response.status,
      200,
      `GET ${host}${path}: ${response.status} ${response.body}\n${gateway.tail()}`,
    );
    return jsonOf<EchoBody>(response);
  }

  before(async () => {
    const start = async (name: string): Promise<Upstream> => {
      const upstream = await startEchoUpstream(name);
      cleanups.after(() => upstream.close());
      return upstream;
    };
    const apps = [await start('app-1'), await start('app-2'), await start('app-3')];
    const exact = await start('exact');
    const api = await start('api');
    const other = await start('other');
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          ...serviceWithEndpoints('app', apps),
          ...serviceWithEndpoints('exact', [exact]),
          ...serviceWithEndpoints('api', [api]),
          ...serviceWithEndpoints('other', [other]),
        ]),
        'shop.yaml': toYaml([
          ingress('shop', {
            rules: [
              {
                host: 'shop.test',
                paths: [
                  { path: '/', service: 'app' },
                  { path: '/exact', pathType: 'Exact', service: 'exact' },
                ],
              },
              { host: 'other.test', paths: [{ path: '/', service: 'other' }] },
            ],
          }),
        ]),
        // A second Ingress adding a path to the same host: the two merge into one virtual host.
        'shop-api.yaml': toYaml([
          ingress('shop-api', { rules: [{ host: 'shop.test', paths: [{ path: '/api', service: 'api' }] }] }),
        ]),
        'rewrite.yaml': toYaml([
          ingress('rewrite', {
            annotations: {
              'nginx.ingress.kubernetes.io/use-regex': 'true',
              'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
            },
            rules: [
              {
                host: 'rw.test',
                paths: [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'api' }],
              },
            ],
          }),
        ]),
      },
    });
  });

  test('the Host header selects the virtual host, with or without a port', async () => {
    assert.equal((await echo('other.test', '/')).name, 'other');
    assert.match((await echo('shop.test', '/')).name, /^app-[123]$/);
    assert.equal((await echo('other.test:8080', '/page')).name, 'other');
  });

  test('an unknown host is not routed', async () => {
    const response = await request(`${gateway.urls.web}/`, { headers: { host: 'unknown.test' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers['x-tidegate-error'], 'no-route');
  });

  test('an Exact path matches only itself; the Prefix / takes the rest', async () => {
    assert.equal((await echo('shop.test', '/exact')).name, 'exact');
    assert.match((await echo('shop.test', '/exact/more')).name, /^app-/);
    assert.match((await echo('shop.test', '/exactly')).name, /^app-/);
  });

  test('paths of two Ingresses on one host merge; Prefix matches whole path elements', async () => {
    assert.equal((await echo('shop.test', '/api')).name, 'api');
    assert.equal((await echo('shop.test', '/api/')).name, 'api');
    assert.equal((await echo('shop.test', '/api/orders/7')).name, 'api');
    assert.match((await echo('shop.test', '/apix')).name, /^app-/);
  });

  test('requests are spread round robin over the three endpoints', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 9; i++) {
      const { name } = await echo('shop.test', '/rr');
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))), {
      'app-1': 3,
      'app-2': 3,
      'app-3': 3,
    });
  });

  test('the upstream sees the original Host, path and query, and X-Forwarded-For/-Proto', async () => {
    const seen = await echo('shop.test', '/api/items?color=red&size=2');
    assert.equal(seen.url, '/api/items?color=red&size=2');
    assert.equal(seen.headers.host, 'shop.test');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  });

  test('X-Forwarded-For from a client that is not a trusted proxy is not passed on', async () => {
    const seen = await echo('shop.test', '/', { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('rewrite-target replaces the path with capture groups and keeps the query', async () => {
    const orders = await echo('rw.test', '/api/orders/42?page=2');
    assert.equal(orders.name, 'api');
    assert.equal(orders.url, '/orders/42?page=2');
    assert.equal((await echo('rw.test', '/api')).url, '/');
    assert.equal((await echo('rw.test', '/api/')).url, '/');
  });
});
