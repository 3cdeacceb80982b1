/**
 * ingress-nginx canaries against the real gateway: a canary Ingress for the same host and path takes the requests
 * its header and cookie rules select, exactly, and its weight of the rest.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { jsonOf, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';

describe('canary', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let stable: Upstream;
  let next: Upstream;

  before(async () => {
    stable = await startEchoUpstream('stable');
    cleanups.after(() => stable.close());
    next = await startEchoUpstream('next');
    cleanups.after(() => next.close());
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          ...serviceWithEndpoints('stable', [stable]),
          ...serviceWithEndpoints('next', [next]),
        ]),
        'ingresses.yaml': toYaml([
          ingress('main', {
            rules: [
              { host: 'shop.test', paths: [{ path: '/', service: 'stable' }] },
              { host: 'ab.test', paths: [{ path: '/', service: 'stable' }] },
            ],
          }),
          ingress('canary-weight', {
            annotations: {
              'nginx.ingress.kubernetes.io/canary': 'true',
              'nginx.ingress.kubernetes.io/canary-weight': '25',
            },
            rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'next' }] }],
          }),
          ingress('canary-rules', {
            annotations: {
              'nginx.ingress.kubernetes.io/canary': 'true',
              'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
              'nginx.ingress.kubernetes.io/canary-by-cookie': 'beta',
              'nginx.ingress.kubernetes.io/canary-weight': '0',
            },
            rules: [{ host: 'ab.test', paths: [{ path: '/', service: 'next' }] }],
          }),
        ]),
      },
    });
  });

  const who = async (host: string, headers: Record<string, string> = {}, agent?: Agent): Promise<string> =>
    jsonOf<EchoBody>(await request(`${gateway.urls.web}/`, { headers: { host, ...headers }, agent })).name;

  test('canary-weight 25: a quarter of the requests, within bounds on any window of 400', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const counts: Record<string, number> = {};
      const answers = await Promise.all(Array.from({ length: 400 }, () => who('shop.test', {}, agent)));
      for (const name of answers) counts[name] = (counts[name] ?? 0) + 1;
      // The split is a counter, not a draw: exactly 100 of 400; allow ±5 % in case another client interleaved.
      assert.ok((counts.next ?? 0) >= 80 && (counts.next ?? 0) <= 120, JSON.stringify(counts));
      assert.equal((counts.next ?? 0) + (counts.stable ?? 0), 400);
    } finally {
      agent.destroy();
    }
  });

  test('header and cookie rules are exact and take precedence over the weight', async () => {
    for (let i = 0; i < 20; i++) {
      assert.equal(await who('ab.test', { 'x-canary': 'always' }), 'next');
      assert.equal(await who('ab.test', { 'x-canary': 'never', cookie: 'beta=always' }), 'stable');
      assert.equal(await who('ab.test', { 'x-canary': 'maybe', cookie: 'a=b; beta=always' }), 'next');
      assert.equal(await who('ab.test', { cookie: 'beta=never' }), 'stable');
      assert.equal(await who('ab.test'), 'stable');
    }
  });

  test('the canary Ingresses are accepted, none rejected', async () => {
    const snapshot = jsonOf<{ rejected?: unknown[] }>(await request(`${gateway.urls.admin}/api/v1/snapshot`));
    assert.deepEqual(snapshot.rejected ?? [], []);
  });
});
