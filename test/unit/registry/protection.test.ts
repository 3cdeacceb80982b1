import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectInstances } from '../../../src/registry/protection.js';
import { instanceDef } from './store-contract.js';

const up = (ip: string) => instanceDef({ ip, healthy: true });
const down = (ip: string) => instanceDef({ ip, healthy: false });

test('healthyOnly drops unhealthy instances while the healthy share is at or above the threshold', () => {
  const result = selectInstances([up('a'), up('b'), down('c')], 0.5, true);
  assert.equal(result.reachProtectionThreshold, false);
  assert.deepEqual(
    result.hosts.map((h) => h.instance.ip),
    ['a', 'b'],
  );
});

test('below the threshold every instance is served as healthy (Nacos protection)', () => {
  const result = selectInstances([up('a'), down('b'), down('c')], 0.5, true);
  assert.equal(result.reachProtectionThreshold, true);
  assert.deepEqual(
    result.hosts.map((h) => [h.instance.ip, h.healthy]),
    [
      ['a', true],
      ['b', true],
      ['c', true],
    ],
  );
});

test('threshold 0 never protects: an all-unhealthy service has no healthy hosts', () => {
  const result = selectInstances([down('a')], 0, true);
  assert.deepEqual(result, { hosts: [], reachProtectionThreshold: false });
});

test('disabled instances are never returned', () => {
  const result = selectInstances([up('a'), instanceDef({ ip: 'b', enabled: false })], 0, false);
  assert.deepEqual(
    result.hosts.map((h) => h.instance.ip),
    ['a'],
  );
});
