/**
 * The e2e harness pieces on their own: upstream servers, the clients, bounded waits, certificates and manifest
 * builders (checked against the object schemas the gateway validates with).
 */
import assert from 'node:assert/strict';
import { Agent, createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createSecureContext } from 'node:tls';
import WebSocket from 'ws';
import { parseAllDocuments } from 'yaml';
import { endpointSliceBodySchema, ingressSpecSchema } from '../../../src/objects/schemas.js';
import { selfSignedCertificate } from '../../support/certs.js';
import { commonName, jsonOf, peerCertificate, probeConnect, request } from '../../support/http-client.js';
import { endpointSlices, ingress, serviceWithEndpoints, tlsSecret, toYaml } from '../../support/manifests.js';
import {
  type EchoBody,
  refusedPort,
  startEchoUpstream,
  startSlowUpstream,
  startWebSocketEchoUpstream,
} from '../../support/upstreams.js';
import { waitUntil, withTimeout } from '../../support/wait.js';

describe('upstreams', () => {
  test('the echo upstream answers with its name, the request and the body length', async (t) => {
    const echo = await startEchoUpstream('one');
    t.after(() => echo.close());
    const response = await request(`http://127.0.0.1:${echo.port}/a?b=1`, {
      method: 'POST',
      headers: { host: 'shop.test', 'x-extra': 'yes' },
      body: 'hello',
    });
    assert.equal(response.status, 200);
    const body = jsonOf<EchoBody>(response);
    assert.equal(body.name, 'one');
    assert.equal(body.method, 'POST');
    assert.equal(body.url, '/a?b=1');
    assert.equal(body.headers.host, 'shop.test');
    assert.equal(body.headers['x-extra'], 'yes');
    assert.equal(body.bodyLength, 5);
    assert.equal(echo.received.length, 1);
  });

  test('the slow upstream answers after its delay, or never until closed', async (t) => {
    const slow = await startSlowUpstream({ name: 'slow', delayMs: 100 });
    const never = await startSlowUpstream({ name: 'never', delayMs: null });
    t.after(() => slow.close());
    const answered = await request(`http://127.0.0.1:${slow.port}/x`);
    assert.equal(answered.status, 200);
    assert.equal(jsonOf<{ name: string }>(answered).name, 'slow');
    await assert.rejects(
      request(`http://127.0.0.1:${never.port}/`, { timeoutMs: 300 }),
      /no complete answer within 300 ms/,
    );
    const pending = request(`http://127.0.0.1:${never.port}/`, { timeoutMs: 5_000 });
    await waitUntil(() => never.received.length === 2, {
      timeoutMs: 2_000,
      what: 'the second request to arrive',
    });
    await withTimeout(never.close(), 2_000, 'close() with a request pending');
    await assert.rejects(pending, /socket hang up|ECONNRESET/);
  });

  test('the WebSocket upstream echoes text and binary messages', async (t) => {
    const upstream = await startWebSocketEchoUpstream('ws');
    t.after(() => upstream.close());
    const client = new WebSocket(`ws://127.0.0.1:${upstream.port}/chat`);
    t.after(() => client.terminate());
    await withTimeout(
      new Promise((resolve, reject) => client.once('open', resolve).once('error', reject)),
      5_000,
      'open',
    );
    const next = (): Promise<{ data: Buffer; isBinary: boolean }> =>
      withTimeout(
        new Promise((resolve) =>
          client.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
        ),
        5_000,
        'an echo',
      );
    const text = next();
    client.send('ping');
    assert.deepEqual(await text, { data: Buffer.from('ping'), isBinary: false });
    const binary = next();
    client.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await binary, { data: Buffer.from([1, 2, 3]), isBinary: true });
    assert.equal(upstream.received[0]?.url, '/chat');
  });

  test('a refused port refuses connections', async () => {
    assert.equal(await probeConnect('127.0.0.1', await refusedPort()), 'ECONNREFUSED');
  });
});

describe('TLS helpers', () => {
  test('peerCertificate and request report the certificate the server chose by SNI', async (t) => {
    const first = await selfSignedCertificate(['a.test']);
    const second = await selfSignedCertificate(['b.test', 'www.b.test']);
    assert.notEqual(first.fingerprint256, second.fingerprint256);
    const server = createTlsServer(
      {
        cert: first.certPem,
        key: first.keyPem,
        SNICallback: (name, done) => {
          const pair = name === 'b.test' ? second : first;
          done(null, createSecureContext({ cert: pair.certPem, key: pair.keyPem }));
        },
      },
      (_req, res) => res.end('tls'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;

    const a = await peerCertificate({ host: '127.0.0.1', port, servername: 'a.test' });
    assert.equal(a.fingerprint256, first.fingerprint256);
    assert.equal(commonName(a), 'a.test');
    const b = await request(`https://127.0.0.1:${port}/`, { servername: 'b.test' });
    assert.equal(b.body, 'tls');
    assert.equal(b.peerCertificate?.fingerprint256, second.fingerprint256);

    // A keep-alive connection reports its certificate on every request, not only the first.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    t.after(() => agent.destroy());
    const url = `https://127.0.0.1:${port}/`;
    const fresh = await request(url, { agent, servername: 'b.test' });
    const reused = await request(url, { agent, servername: 'b.test' });
    assert.deepEqual([fresh.reusedSocket, reused.reusedSocket], [false, true]);
    assert.equal(reused.peerCertificate?.fingerprint256, second.fingerprint256);
  });
});

describe('waits', () => {
  test('waitUntil returns the first truthy value and times out with the last error', async () => {
    let calls = 0;
    assert.equal(
      await waitUntil(() => (++calls >= 3 ? 'done' : null), { timeoutMs: 2_000, intervalMs: 1 }),
      'done',
    );
    await assert.rejects(
      waitUntil(
        () => {
          throw new Error('still broken');
        },
        { timeoutMs: 50, intervalMs: 10, what: 'the impossible' },
      ),
      /waiting for the impossible \(last error: Error: still broken\)/,
    );
  });
});

describe('manifests', () => {
  test('the builders produce objects the gateway schemas accept', async () => {
    const certificate = await selfSignedCertificate(['shop.test']);
    const text = toYaml([
      ...serviceWithEndpoints('app', [
        { host: '127.0.0.1', port: 1001 },
        { host: '127.0.0.1', port: 1002, ready: false },
        { host: '127.0.0.2', port: 1001 },
      ]),
      ingress('shop', {
        rules: [
          { host: 'shop.test', paths: [{ path: '/', service: 'app' }] },
          { paths: [{ path: '/x', pathType: 'Exact', service: 'app' }] },
        ],
        annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
        tls: [{ hosts: ['shop.test'], secretName: 'shop-tls' }],
      }),
      tlsSecret('shop-tls', certificate),
    ]);
    const objects = parseAllDocuments(text).map((doc) => doc.toJS() as Record<string, unknown>);
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Service', 'EndpointSlice', 'EndpointSlice', 'Ingress', 'Secret'],
    );
    for (const slice of objects.filter((o) => o.kind === 'EndpointSlice'))
      endpointSliceBodySchema.parse(slice);
    ingressSpecSchema.parse(objects[3]?.spec);
    assert.deepEqual(
      endpointSlices('app', [{ host: '127.0.0.1', port: 1001 }]).map((s) => s.metadata.name),
      ['app-1001'],
    );
  });
});

test('waitUntil stops at once when its signal is aborted', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('gone')), 20);
  await assert.rejects(
    waitUntil(() => false, { timeoutMs: 60_000, intervalMs: 5, signal: controller.signal }),
    /gone/,
  );
});
