import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { DnsCache } from '../../../src/proxy/dns-cache.js';
import { selfSignedCertificate } from '../../support/certs.js';
import { withTimeout } from '../../support/wait.js';
import { backend, fetchText, ir, route, TestProxy, vhost } from './proxy-fixture.js';

test('an ExternalName backend over HTTPS: resolved through the DNS cache, SNI is the request host, cert not verified', async () => {
  const certificate = await selfSignedCertificate(['somewhere-else.test']);
  const serverNames: (string | false | null)[] = [];
  const upstream = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    serverNames.push((req.socket as TLSSocket).servername);
    res.end(`tls ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  const lookups: string[] = [];
  const dns = new DnsCache({
    lookup: async (name) => {
      lookups.push(name);
      if (name === 'upstream.example.net') return '127.0.0.1';
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    },
  });
  const external = backend('external', [port], { kind: 'external-name', address: 'upstream.example.net' });
  const missing = backend('missing', [port], { kind: 'external-name', address: 'nowhere.example.net' });
  const proxy = new TestProxy(
    ir(
      [
        vhost('secure.example.com', [
          route('missing', '/missing', missing, { upstreamProtocol: 'https' }),
          route('tls', '/', external, { upstreamProtocol: 'https' }),
        ]),
      ],
      [external, missing],
    ),
    {},
    dns,
  );
  await proxy.listen();
  try {
    const first = await fetchText(proxy.port, '/one', { headers: { host: 'secure.example.com' } });
    const second = await fetchText(proxy.port, '/two', { headers: { host: 'secure.example.com' } });
    assert.equal(first.status, 200);
    assert.equal(first.body, 'tls /one');
    assert.equal(second.body, 'tls /two');
    assert.deepEqual(serverNames, ['secure.example.com', 'secure.example.com']);
    // One keep-alive connection, one lookup.
    assert.deepEqual(lookups, ['upstream.example.net']);

    const failed = await fetchText(proxy.port, '/missing', { headers: { host: 'secure.example.com' } });
    assert.equal(failed.status, 502);
    assert.equal(failed.headers['x-tidegate-error'], 'upstream-connect');
  } finally {
    await proxy.close();
    upstream.closeAllConnections();
    await withTimeout(new Promise((resolve) => upstream.close(resolve)), 5_000, 'https upstream to close');
  }
});
