import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ForwardedTrust, forwardedValue, type PeerInfo } from '../../../src/proxy/forwarded-headers.js';
import { connectionTokens, endToEndResponseHeaders, removeNamed } from '../../../src/proxy/hop-by-hop.js';
import { type RequestHead, upstreamRequestHeaders } from '../../../src/proxy/upstream-headers.js';

function head(): RequestHead {
  return { hostHeader: '', contentLength: -1, chunked: false, clientAddress: '', forwardedProto: null };
}

function peer(address: string, trusted: boolean): PeerInfo {
  return {
    address,
    trusted,
    forwardedFor: address.includes(':') ? `"[${address}]"` : address,
    localPort: '80',
  };
}

describe('hop-by-hop', () => {
  test('connectionTokens keeps header names, skips connection options, allocates nothing for keep-alive', () => {
    assert.equal(connectionTokens('keep-alive', null), null);
    assert.equal(connectionTokens('close, Upgrade', null), null);
    assert.deepEqual(connectionTokens(' X-Foo ,keep-alive,x-bar', null), ['x-foo', 'x-bar']);
    assert.deepEqual(connectionTokens('Host, Content-Length, x-a', null), ['x-a']);
  });

  test('removeNamed drops every pair with a listed name, case-insensitively', () => {
    const headers = ['A', '1', 'x-foo', '2', 'B', '3', 'X-FOO', '4'];
    removeNamed(headers, ['x-foo']);
    assert.deepEqual(headers, ['A', '1', 'B', '3']);
  });

  test('response headers: fixed hop-by-hop names and Connection-named ones go, in one pass over raw buffers', () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'X-Secret',
      'before-connection',
      'Connection',
      'keep-alive, X-Secret',
      'Transfer-Encoding',
      'chunked',
      'Keep-Alive',
      'timeout=5',
      'Trailer',
      'x-checksum',
      'Proxy-Authenticate',
      'Basic',
      'Upgrade',
      'h2c',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
    ].map((text) => Buffer.from(text, 'latin1'));
    raw.push(Buffer.from('X-Bytes'), Buffer.from([0xe9]));
    assert.deepEqual(endToEndResponseHeaders(raw), [
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'X-Bytes',
      '\u00e9',
    ]);
  });
});

describe('upstream request headers', () => {
  const trust = new ForwardedTrust(['10.0.0.0/8', '::1/128']);

  test('an untrusted client cannot forge forwarded headers', () => {
    const out = head();
    const headers = upstreamRequestHeaders(
      [
        'Host',
        'a.test',
        'X-Forwarded-For',
        '1.2.3.4',
        'X-Real-IP',
        '1.2.3.4',
        'Forwarded',
        'for=1.2.3.4',
        'Accept',
        '*/*',
      ],
      null,
      peer('192.0.2.1', false),
      trust,
      'https',
      false,
      out,
    );
    assert.deepEqual(headers, [
      'Host',
      'a.test',
      'Accept',
      '*/*',
      'X-Forwarded-For',
      '192.0.2.1',
      'X-Forwarded-Proto',
      'https',
      'X-Forwarded-Port',
      '80',
      'X-Real-IP',
      '192.0.2.1',
      'X-Forwarded-Host',
      'a.test',
      'Forwarded',
      'for=192.0.2.1;host=a.test;proto=https',
    ]);
    assert.equal(out.clientAddress, '192.0.2.1');
    assert.equal(out.forwardedProto, null);
  });

  test('a trusted IPv6 peer: chain extended, client found right to left, IPv6 quoted in Forwarded', () => {
    const out = head();
    const headers = upstreamRequestHeaders(
      ['host', 'a.test', 'x-forwarded-for', '198.51.100.9, 10.1.1.1', 'x-forwarded-proto', 'https'],
      null,
      peer('::1', true),
      trust,
      'http',
      false,
      out,
    );
    assert.equal(out.clientAddress, '198.51.100.9');
    assert.equal(out.forwardedProto, 'https');
    const get = (name: string) => headers[headers.indexOf(name) + 1];
    assert.equal(get('X-Forwarded-For'), '198.51.100.9, 10.1.1.1, ::1');
    assert.equal(get('X-Forwarded-Proto'), 'https');
    assert.equal(get('Forwarded'), 'for="[::1]";host=a.test;proto=http');
  });

  test('framing facts are collected; Expect and Transfer-Encoding are not forwarded', () => {
    const out = head();
    const headers = upstreamRequestHeaders(
      ['Host', 'a', 'Content-Length', '12', 'Expect', '100-continue'],
      null,
      peer('192.0.2.1', false),
      trust,
      'http',
      false,
      out,
    );
    assert.equal(out.contentLength, 12);
    assert.equal(headers.includes('Expect'), false);
    const chunked = head();
    const other = upstreamRequestHeaders(
      ['Transfer-Encoding', 'chunked'],
      null,
      peer('1.1.1.1', false),
      trust,
      'http',
      false,
      chunked,
    );
    assert.equal(chunked.chunked, true);
    assert.equal(other.includes('Transfer-Encoding'), false);
  });

  test('an upgrade keeps Upgrade and sends Connection: upgrade; the authority replaces or supplies Host', () => {
    const out = head();
    const headers = upstreamRequestHeaders(
      ['Connection', 'Upgrade, X-Drop', 'Upgrade', 'websocket', 'X-Drop', '1'],
      'b.test:81',
      peer('192.0.2.1', false),
      trust,
      'http',
      true,
      out,
    );
    assert.deepEqual(headers.slice(0, 6), [
      'Upgrade',
      'websocket',
      'Host',
      'b.test:81',
      'Connection',
      'upgrade',
    ]);
    assert.equal(headers.includes('X-Drop'), false);
    assert.equal(out.hostHeader, 'b.test:81');
  });
});

describe('ForwardedTrust', () => {
  test('CIDR matching for both families, IPv4-mapped addresses included', () => {
    const trust = new ForwardedTrust(['10.0.0.0/8', 'fd00::/8']);
    assert.equal(trust.isTrusted('10.2.3.4'), true);
    assert.equal(trust.isTrusted('11.2.3.4'), false);
    assert.equal(trust.isTrusted('::ffff:10.2.3.4'), true);
    assert.equal(trust.isTrusted('fd12::1'), true);
    assert.equal(trust.isTrusted('fe80::1'), false);
    assert.equal(trust.isTrusted('not-an-ip'), false);
  });

  test('the client is the left-most address when every hop is trusted', () => {
    const trust = new ForwardedTrust(['10.0.0.0/8']);
    assert.equal(trust.clientFrom('10.0.0.3, 10.0.0.2', '10.0.0.1'), '10.0.0.3');
    assert.equal(trust.clientFrom('garbage, 10.0.0.2', '10.0.0.1'), '10.0.0.2');
  });

  test('forwardedValue quotes what is not a token', () => {
    assert.equal(forwardedValue('example.com'), 'example.com');
    assert.equal(forwardedValue('example.com:8080'), '"example.com:8080"');
    assert.equal(forwardedValue('a"b'), '"a\\"b"');
  });
});
