/**
 * The gateway's own answers, each with its `x-tidegate-error` reason: 404 no route, 502 connection refused,
 * 503 no ready endpoint, 504 upstream read timeout, 413 body too large, 500 broken backend reference.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { type HttpResponse, jsonOf, request } from '../support/http-client.js';
import { ingress, service, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import {
  type EchoBody,
  refusedPort,
  startEchoUpstream,
  startSlowUpstream,
  type Upstream,
} from '../support/upstreams.js';

describe('error answers', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let echo: Upstream;
  let slow: Upstream;

  before(async () => {
    echo = await startEchoUpstream('echo');
    cleanups.after(() => echo.close());
    slow = await startSlowUpstream({ name: 'slow', delayMs: null });
    cleanups.after(() => slow.close());
    const refused = { host: '127.0.0.1', port: await refusedPort() };
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          ...serviceWithEndpoints('refused', [refused]),
          ...serviceWithEndpoints('unready', [{ host: echo.host, port: echo.port, ready: false }]),
          service('empty'),
          ...serviceWithEndpoints('slow', [slow]),
          ...serviceWithEndpoints('echo', [echo]),
        ]),
        'errors.yaml': toYaml([
          ingress('errors', {
            rules: [
              {
                host: 'errors.test',
                paths: [
                  { path: '/refused', service: 'refused' },
                  { path: '/unready', service: 'unready' },
                  { path: '/empty', service: 'empty' },
                ],
              },
            ],
          }),
          ingress('slow', {
            annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1' },
            rules: [{ host: 'slow.test', paths: [{ path: '/', service: 'slow' }] }],
          }),
          ingress('limited', {
            annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '1k' },
            rules: [{ host: 'limited.test', paths: [{ path: '/', service: 'echo' }] }],
          }),
          ingress('dangling', {
            rules: [{ host: 'dangling.test', paths: [{ path: '/', service: 'does-not-exist' }] }],
          }),
        ]),
      },
    });
  });

  const send = (host: string, path: string, method = 'GET', body?: Buffer): Promise<HttpResponse> =>
    request(`${gateway.urls.web}${path}`, { method, body, headers: { host } });

  function assertError(response: HttpResponse, status: number, reason: string): void {
    assert.equal(response.status, status, `${response.status} ${response.body}\n${gateway.tail()}`);
    assert.equal(response.headers['x-tidegate-error'], reason);
  }

  test('404 no-route for an unknown host and for an unrouted path of a known host', async () => {
    assertError(await send('nowhere.test', '/'), 404, 'no-route');
    assertError(await send('errors.test', '/elsewhere'), 404, 'no-route');
  });

  test('502 upstream-connect when the endpoint refuses the connection', async () => {
    assertError(await send('errors.test', '/refused'), 502, 'upstream-connect');
  });

  test('503 no-endpoint for a Service whose endpoints are not ready, or that has none', async () => {
    assertError(await send('errors.test', '/unready'), 503, 'no-endpoint');
    assertError(await send('errors.test', '/empty'), 503, 'no-endpoint');
    assert.ok(
      !echo.received.some((r) => r.url === '/unready'),
      'a request reached an endpoint that is not ready',
    );
  });

  test('504 upstream-timeout when the upstream sends nothing within proxy-read-timeout', async () => {
    const response = await send('slow.test', '/wait');
    assertError(response, 504, 'upstream-timeout');
    assert.equal(slow.received.length, 1, 'the request should have reached the slow upstream');
  });

  test('413 body-too-large above proxy-body-size; bodies up to the limit pass', async () => {
    assertError(
      await send('limited.test', '/too-big', 'POST', Buffer.alloc(2048, 'a')),
      413,
      'body-too-large',
    );
    assert.ok(!echo.received.some((r) => r.url === '/too-big'), 'the oversized body was forwarded');
    for (const size of [512, 1024]) {
      const response = await send('limited.test', '/fits', 'POST', Buffer.alloc(size, 'a'));
      assert.equal(response.status, 200, `${size} bytes: ${response.status} ${response.body}`);
      assert.equal(jsonOf<EchoBody>(response).bodyLength, size);
    }
  });

  test('500 backend-invalid when the Ingress names a Service that does not exist', async () => {
    assertError(await send('dangling.test', '/'), 500, 'backend-invalid');
  });
});
