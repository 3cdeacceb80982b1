import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { Certificate } from '../../../src/ir/types.js';
import { generateSelfSigned } from '../../../src/proxy/self-signed.js';
import { SecureContextCache } from '../../../src/proxy/tls-contexts.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';
import { commonName, peerCertificate, request } from '../../support/http-client.js';
import { waitUntil } from '../../support/wait.js';
import {
  certificate,
  type Harness,
  recordingLogger,
  startEntryPoint,
  statuses,
  tableWith,
} from './entry-point-fixture.js';

type Pems = Awaited<ReturnType<typeof generateSelfSigned>>;

describe('generateSelfSigned', () => {
  test('puts the first host in the CN and every host in the subjectAltName', async () => {
    const pems = await generateSelfSigned(['one.example.test', '*.two.example.test'], { days: 2 });
    const x509 = new X509Certificate(pems.certPem);
    assert.equal(commonName(x509), 'one.example.test');
    assert.equal(x509.subjectAltName, 'DNS:one.example.test, DNS:*.two.example.test');
    assert.ok(x509.checkPrivateKey(createPrivateKey(pems.keyPem)));
    assert.ok(Date.parse(x509.validTo) - Date.now() < 3 * 86_400_000, 'validity ignores days');
  });

  test('refuses an empty host list', async () => {
    await assert.rejects(generateSelfSigned([]), /at least one host/);
  });
});

describe('EntryPoint (HTTPS, SNI)', () => {
  let h: Harness;
  let defaults: Pems;
  let exact: Pems;
  let wildcard: Pems;
  const holder = new SnapshotHolder();
  const handshake = (servername?: string): Promise<X509Certificate> =>
    peerCertificate({ host: '127.0.0.1', port: h.port, servername, timeoutMs: 5_000 });

  before(async () => {
    [defaults, exact, wildcard] = await Promise.all([
      generateSelfSigned(['tidegate.default.invalid']),
      generateSelfSigned(['a.example.test']),
      generateSelfSigned(['*.b.example.test']),
    ]);
    holder.swap(
      tableWith([
        certificate('secret/default/a', ['a.example.test'], exact),
        certificate('secret/default/b', ['*.b.example.test'], wildcard),
      ]),
    );
    h = await startEntryPoint(
      {
        name: 'websecure',
        protocol: 'https',
        tls: { defaultCertPem: defaults.certPem, defaultKeyPem: defaults.keyPem, minVersion: 'TLSv1.2' },
      },
      holder,
    );
  });
  after(() => h.entryPoint.close());

  test('logs protocol https on its listening line', () => {
    const line = h.lines.find((l) => l.msg === 'entry point listening');
    assert.equal(line?.protocol, 'https');
    assert.equal(line?.entryPoint, 'websecure');
  });

  test('an exact SNI name gets its certificate, in any letter case', async () => {
    assert.equal(commonName(await handshake('a.example.test')), 'a.example.test');
    assert.equal(commonName(await handshake('A.Example.TEST')), 'a.example.test');
  });

  test('a wildcard certificate covers exactly one label', async () => {
    assert.equal(commonName(await handshake('x.b.example.test')), '*.b.example.test');
    assert.equal(commonName(await handshake('y.x.b.example.test')), 'tidegate.default.invalid');
    assert.equal(commonName(await handshake('b.example.test')), 'tidegate.default.invalid');
  });

  test('an unknown name and a ClientHello without SNI get the default certificate', async () => {
    assert.equal(commonName(await handshake('unknown.example.test')), 'tidegate.default.invalid');
    assert.equal(commonName(await handshake()), 'tidegate.default.invalid');
  });

  test('ALPN settles on http/1.1 even when the client prefers h2', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: h.port,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      assert.equal(socket.alpnProtocol, 'http/1.1');
    } finally {
      socket.destroy();
    }
  });

  test('serves requests over TLS and counts the TCP connection once', async () => {
    const before = h.metrics.accepted;
    const response = await request(`https://127.0.0.1:${h.port}/tls`, {
      servername: 'a.example.test',
      headers: { host: 'a.example.test' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body, 'GET a.example.test /tls 0\n');
    assert.equal(h.metrics.accepted, before + 1);
    await waitUntil(() => h.metrics.openOn('websecure') === 0, {
      timeoutMs: 5_000,
      what: 'connections to be uncounted',
    });
  });

  test('a rotated certificate reaches new handshakes while an open keep-alive connection keeps working', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: h.port,
      servername: 'a.example.test',
      rejectUnauthorized: false,
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    const answers = (): number => text.split('GET a.example.test /rotate 0\n').length - 1;
    const ask = (): boolean => socket.write('GET /rotate HTTP/1.1\r\nHost: a.example.test\r\n\r\n');
    try {
      await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
      const oldFingerprint = new X509Certificate(exact.certPem).fingerprint256;
      assert.equal(socket.getPeerX509Certificate()?.fingerprint256, oldFingerprint);
      ask();
      await waitUntil(() => answers() === 1, { timeoutMs: 5_000, what: 'the first answer' });

      const rotated = await generateSelfSigned(['a.example.test']);
      holder.swap(
        tableWith([
          certificate('secret/default/a', ['a.example.test'], rotated),
          certificate('secret/default/b', ['*.b.example.test'], wildcard),
        ]),
      );
      const fresh = await handshake('a.example.test');
      assert.equal(fresh.fingerprint256, new X509Certificate(rotated.certPem).fingerprint256);

      ask();
      await waitUntil(() => answers() === 2, {
        timeoutMs: 5_000,
        what: 'the second answer on the old connection',
      });
      assert.deepEqual(statuses(text), [200, 200]);
      assert.ok(!socket.destroyed);
    } finally {
      socket.destroy();
      holder.swap(
        tableWith([
          certificate('secret/default/a', ['a.example.test'], exact),
          certificate('secret/default/b', ['*.b.example.test'], wildcard),
        ]),
      );
    }
  });

  test('a certificate that does not load falls back to the default and is logged once, without key material', async () => {
    const broken = certificate('secret/default/broken', ['broken.example.test'], {
      certPem: 'not a pem',
      keyPem: exact.keyPem,
    });
    const mismatched = certificate('secret/default/mismatched', ['mismatched.example.test'], {
      certPem: exact.certPem,
      keyPem: wildcard.keyPem,
    });
    holder.swap(tableWith([certificate('secret/default/a', ['a.example.test'], exact), broken, mismatched]));
    assert.equal(commonName(await handshake('broken.example.test')), 'tidegate.default.invalid');
    assert.equal(commonName(await handshake('broken.example.test')), 'tidegate.default.invalid');
    assert.equal(commonName(await handshake('mismatched.example.test')), 'tidegate.default.invalid');
    assert.equal(commonName(await handshake('a.example.test')), 'a.example.test');

    const warnings = h.lines.filter((l) => l.level === 'warn');
    assert.deepEqual(warnings.map((l) => l.certificate).sort(), [
      'secret/default/broken',
      'secret/default/mismatched',
    ]);
    const keyBody = exact.keyPem.split('\n')[1] ?? '';
    assert.ok(keyBody.length > 10);
    for (const line of warnings)
      assert.ok(!JSON.stringify(line).includes(keyBody), 'key material in a log line');
  });
});

describe('SecureContextCache', () => {
  let pems: Pems;
  before(async () => {
    pems = await generateSelfSigned(['c.example.test']);
  });

  test('reuses the context of an unchanged certificate across tables and builds a new one for a new PEM', async () => {
    const { logger } = recordingLogger();
    const cache = new SecureContextCache({ minVersion: 'TLSv1.2', logger });
    const first: Certificate = certificate('secret/default/c', ['c.example.test'], pems);
    const sameInNextTable: Certificate = { ...first, hosts: [...first.hosts] };
    const context = cache.get(first);
    assert.ok(context);
    assert.equal(cache.get(sameInNextTable), context);
    const rotated = certificate(
      'secret/default/c',
      ['c.example.test'],
      await generateSelfSigned(['c.example.test']),
    );
    const next = cache.get(rotated);
    assert.ok(next);
    assert.notEqual(next, context);
  });

  test('stays within its bound', () => {
    const { logger } = recordingLogger();
    const cache = new SecureContextCache({ minVersion: 'TLSv1.2', logger, max: 2 });
    const contexts = ['x', 'y', 'z'].map((n) =>
      cache.get(certificate(`secret/default/${n}`, ['c.example.test'], pems)),
    );
    assert.ok(contexts.every((c) => c !== null));
    // The oldest was evicted: asking again builds a fresh context.
    assert.notEqual(cache.get(certificate('secret/default/x', ['c.example.test'], pems)), contexts[0]);
    assert.equal(cache.get(certificate('secret/default/z', ['c.example.test'], pems)), contexts[2]);
  });
});
