import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { GatewayError } from '../../../src/core/errors.js';
import { DnsCache } from '../../../src/proxy/dns-cache.js';
import { reasonForUpstreamError } from '../../../src/proxy/error-response.js';

class ManualClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  monotonic(): number {
    return this.time;
  }
}

test('DnsCache answers from its cache until the TTL passes, with one lookup in flight per name', async () => {
  const clock = new ManualClock();
  const lookups: string[] = [];
  let next = '192.0.2.1';
  const cache = new DnsCache({
    ttlMs: 1_000,
    clock,
    lookup: async (name) => {
      lookups.push(name);
      return next;
    },
  });
  assert.deepEqual(await Promise.all([cache.resolve('svc.test'), cache.resolve('svc.test')]), [
    '192.0.2.1',
    '192.0.2.1',
  ]);
  next = '192.0.2.2';
  clock.time = 999;
  assert.equal(await cache.resolve('svc.test'), '192.0.2.1');
  clock.time = 1_000;
  assert.equal(await cache.resolve('svc.test'), '192.0.2.2');
  assert.deepEqual(lookups, ['svc.test', 'svc.test']);
  assert.equal(await cache.resolve('::1'), '::1');
  assert.equal(lookups.length, 2);
});

test('DnsCache remembers a failure for the error TTL', async () => {
  const clock = new ManualClock();
  let calls = 0;
  const cache = new DnsCache({
    errorTtlMs: 100,
    clock,
    lookup: async () => {
      calls++;
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  await assert.rejects(cache.resolve('gone.test'), { code: 'ENOTFOUND' });
  await assert.rejects(cache.resolve('gone.test'), { code: 'ENOTFOUND' });
  assert.equal(calls, 1);
  clock.time = 100;
  await assert.rejects(cache.resolve('gone.test'));
  assert.equal(calls, 2);
});

test('upstream errors map to one reason each', () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(reasonForUpstreamError(coded('ECONNREFUSED')), 'upstream-connect');
  assert.equal(reasonForUpstreamError(coded('UND_ERR_CONNECT_TIMEOUT')), 'upstream-connect');
  assert.equal(reasonForUpstreamError(coded('ENOTFOUND')), 'upstream-connect');
  assert.equal(reasonForUpstreamError(coded('ERR_SSL_WRONG_VERSION_NUMBER')), 'upstream-connect');
  assert.equal(reasonForUpstreamError(coded('UND_ERR_HEADERS_TIMEOUT')), 'upstream-timeout');
  assert.equal(reasonForUpstreamError(coded('UND_ERR_BODY_TIMEOUT')), 'upstream-timeout');
  assert.equal(reasonForUpstreamError(coded('ECONNRESET')), 'upstream-reset');
  assert.equal(reasonForUpstreamError(coded('UND_ERR_SOCKET')), 'upstream-reset');
  assert.equal(reasonForUpstreamError(new GatewayError('body-too-large', 'x')), 'body-too-large');
  assert.equal(reasonForUpstreamError(null), 'upstream-reset');
});
