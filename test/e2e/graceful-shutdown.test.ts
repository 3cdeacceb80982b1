/**
 * SIGTERM: the gateway stops accepting connections at once, lets the in-flight request finish, and exits 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayProcess } from '../support/gateway-process.js';
import { type HttpResponse, jsonOf, probeConnect, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { startSlowUpstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

test('SIGTERM drains an in-flight slow request, refuses new connections and exits 0', async (t) => {
  const slow = await startSlowUpstream({ name: 'slow', delayMs: 2_000 });
  t.after(() => slow.close());
  const gateway = await GatewayProcess.start(t, {
    manifests: {
      'slow.yaml': toYaml([
        ...serviceWithEndpoints('slow', [slow]),
        ingress('slow', { rules: [{ host: 'slow.test', paths: [{ path: '/', service: 'slow' }] }] }),
      ]),
    },
  });

  let inFlight = true;
  const slowRequest: Promise<HttpResponse> = request(`${gateway.urls.web}/in-flight`, {
    headers: { host: 'slow.test' },
    timeoutMs: 15_000,
  }).finally(() => {
    inFlight = false;
  });
  await waitUntil(() => slow.received.length === 1, {
    timeoutMs: 5_000,
    what: 'the slow request to reach the upstream',
  });

  gateway.kill('SIGTERM');
  await waitUntil(async () => (await probeConnect('127.0.0.1', gateway.ports.web, 500)) === 'ECONNREFUSED', {
    timeoutMs: 1_500,
    intervalMs: 20,
    what: 'the web entry point to refuse new connections',
  });
  assert.equal(inFlight, true, 'the slow request had already finished when new connections were refused');

  const response = await slowRequest;
  assert.equal(response.status, 200, `${response.status} ${response.body}\n${gateway.tail()}`);
  assert.equal(jsonOf<{ name: string }>(response).name, 'slow');
  assert.deepEqual(await gateway.waitForExit(10_000), { code: 0, signal: null });
});
