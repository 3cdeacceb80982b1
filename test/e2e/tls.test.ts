/**
 * TLS termination: each host's Secret is chosen by SNI, an unknown or missing SNI gets the default certificate,
 * and plain HTTP to a host with TLS is redirected (308) to HTTPS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selfSignedCertificate, type TestCertificate } from '../support/certs.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { commonName, jsonOf, peerCertificate, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, tlsSecret, toYaml } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream } from '../support/upstreams.js';

const DEFAULT_CERTIFICATE_CN = 'tidegate.default.invalid';

describe('TLS', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let certA: TestCertificate;
  let certB: TestCertificate;

  before(async () => {
    const upstream = await startEchoUpstream('secure');
    cleanups.after(() => upstream.close());
    certA = await selfSignedCertificate(['a.test']);
    certB = await selfSignedCertificate(['b.test']);
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml(serviceWithEndpoints('secure', [upstream])),
        'secrets.yaml': toYaml([tlsSecret('a-tls', certA), tlsSecret('b-tls', certB)]),
        'secure.yaml': toYaml([
          ingress('secure', {
            tls: [
              { hosts: ['a.test'], secretName: 'a-tls' },
              { hosts: ['b.test'], secretName: 'b-tls' },
            ],
            rules: [
              { host: 'a.test', paths: [{ path: '/', service: 'secure' }] },
              { host: 'b.test', paths: [{ path: '/', service: 'secure' }] },
            ],
          }),
          ingress('plain', { rules: [{ host: 'plain.test', paths: [{ path: '/', service: 'secure' }] }] }),
        ]),
      },
    });
  });

  const handshake = (servername: string | undefined) =>
    peerCertificate({ host: '127.0.0.1', port: gateway.ports.websecure, servername });

  test('SNI selects the certificate of each host', async () => {
    assert.equal((await handshake('a.test')).fingerprint256, certA.fingerprint256);
    assert.equal((await handshake('b.test')).fingerprint256, certB.fingerprint256);
    // SNI is case-insensitive (RFC 6066 §3 carries a DNS name).
    assert.equal((await handshake('B.Test')).fingerprint256, certB.fingerprint256);
  });

  test('an unknown SNI name and a handshake without SNI get the default certificate', async () => {
    assert.equal(commonName(await handshake('nobody.test')), DEFAULT_CERTIFICATE_CN);
    assert.equal(commonName(await handshake(undefined)), DEFAULT_CERTIFICATE_CN);
  });

  test('HTTPS requests reach the upstream with X-Forwarded-Proto https', async () => {
    const response = await request(`${gateway.urls.websecure}/orders?id=1`, {
      servername: 'a.test',
      headers: { host: 'a.test' },
    });
    assert.equal(response.status, 200, `${response.body}\n${gateway.tail()}`);
    assert.equal(response.peerCertificate?.fingerprint256, certA.fingerprint256);
    const seen = jsonOf<EchoBody>(response);
    assert.equal(seen.url, '/orders?id=1');
    assert.equal(seen.headers.host, 'a.test');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
  });

  test('plain HTTP to a host with TLS is redirected to HTTPS with 308, path and query kept', async () => {
    const response = await request(`${gateway.urls.web}/some/path?q=1`, { headers: { host: 'b.test' } });
    assert.equal(response.status, 308, `${response.body}\n${gateway.tail()}`);
    assert.match(response.headers.location ?? '', /^https:\/\/b\.test(:\d+)?\/some\/path\?q=1$/);
  });

  test('plain HTTP to a host without TLS is served', async () => {
    const response = await request(`${gateway.urls.web}/`, { headers: { host: 'plain.test' } });
    assert.equal(response.status, 200);
    assert.equal(jsonOf<EchoBody>(response).headers['x-forwarded-proto'], 'http');
  });
});
