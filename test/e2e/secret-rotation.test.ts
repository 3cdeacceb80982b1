/**
 * Certificate rotation: rewriting a TLS Secret makes new handshakes present the new certificate, while a
 * keep-alive connection opened before the change keeps working.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { test } from 'node:test';
import { selfSignedCertificate } from '../support/certs.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { peerCertificate, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, tlsSecret, toYaml } from '../support/manifests.js';
import { startEchoUpstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

test('a rewritten TLS Secret is served to new handshakes without dropping open connections', async (t) => {
  const upstream = await startEchoUpstream('rot');
  t.after(() => upstream.close());
  const before = await selfSignedCertificate(['rot.test']);
  const rotated = await selfSignedCertificate(['rot.test']);
  const gateway = await GatewayProcess.start(t, {
    manifests: {
      'app.yaml': toYaml([
        ...serviceWithEndpoints('rot', [upstream]),
        ingress('rot', {
          tls: [{ hosts: ['rot.test'], secretName: 'rot-tls' }],
          rules: [{ host: 'rot.test', paths: [{ path: '/', service: 'rot' }] }],
        }),
      ]),
      'secret.yaml': toYaml([tlsSecret('rot-tls', before)]),
    },
  });
  const handshake = () =>
    peerCertificate({ host: '127.0.0.1', port: gateway.ports.websecure, servername: 'rot.test' });
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 1,
    rejectUnauthorized: false,
    servername: 'rot.test',
  });
  t.after(() => agent.destroy());
  const viaAgent = () =>
    request(`${gateway.urls.websecure}/`, { agent, servername: 'rot.test', headers: { host: 'rot.test' } });

  assert.equal((await handshake()).fingerprint256, before.fingerprint256);
  const first = await viaAgent();
  assert.equal(first.status, 200);
  assert.equal(first.peerCertificate?.fingerprint256, before.fingerprint256);

  await gateway.writeManifest('secret.yaml', toYaml([tlsSecret('rot-tls', rotated)]));
  await waitUntil(async () => (await handshake()).fingerprint256 === rotated.fingerprint256, {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'new handshakes to present the rotated certificate',
  });
  const certificate = (await gateway.snapshot()).certificates.find(
    (c) => c.name === 'secret/default/rot-tls',
  );
  assert.equal(certificate?.fingerprint256, rotated.fingerprint256);

  const second = await viaAgent();
  assert.equal(second.status, 200);
  assert.equal(second.reusedSocket, true, 'the keep-alive connection opened before the rotation was closed');
  assert.equal(second.peerCertificate?.fingerprint256, before.fingerprint256);
});
