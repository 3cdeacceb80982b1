import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/objects/envelope.js';
import { registryObjects } from '../../../src/providers/registry/registry-objects.js';
import { defaultService, type Instance, type RegistrySnapshot } from '../../../src/registry/model.js';
import { instanceDef } from '../registry/store-contract.js';

const ORDER = { namespace: 'public', group: 'DEFAULT_GROUP', service: 'order-service' };

function snapshotOf(protectThreshold: number, instances: Instance[]): RegistrySnapshot {
  return { revision: 1, services: [{ service: { ...defaultService(ORDER), protectThreshold }, instances }] };
}

/** `ip → ready` over every emitted EndpointSlice. */
function readiness(objects: readonly { object: KubeObject }[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const { object } of objects) {
    if (object.kind !== 'EndpointSlice') continue;
    const endpoints = (object as { endpoints: { addresses: string[]; conditions: { ready: boolean } }[] })
      .endpoints;
    for (const endpoint of endpoints) out[endpoint.addresses[0] as string] = endpoint.conditions.ready;
  }
  return out;
}

test('healthy, enabled instances with a weight are ready; unhealthy, disabled and weight-0 ones are not', () => {
  const objects = registryObjects(
    snapshotOf(0, [
      instanceDef({ ip: '10.0.0.1' }),
      instanceDef({ ip: '10.0.0.2', healthy: false }),
      instanceDef({ ip: '10.0.0.3', enabled: false }),
      instanceDef({ ip: '10.0.0.4', weight: 0 }),
    ]),
    'registry',
  );
  assert.deepEqual(readiness(objects), {
    '10.0.0.1': true,
    '10.0.0.2': false,
    '10.0.0.3': false,
    '10.0.0.4': false,
  });
});

test('below the protectThreshold unhealthy instances are ready again, as a Nacos client would call them', () => {
  const instances = [
    instanceDef({ ip: '10.0.0.1' }),
    instanceDef({ ip: '10.0.0.2', healthy: false }),
    instanceDef({ ip: '10.0.0.3', healthy: false }),
    instanceDef({ ip: '10.0.0.4', healthy: false, enabled: false }),
    instanceDef({ ip: '10.0.0.5', healthy: false, weight: 0 }),
  ];
  // Healthy share 1/5 = 0.2, below 0.5: protection. Disabled and weight-0 instances stay out.
  assert.deepEqual(readiness(registryObjects(snapshotOf(0.5, instances), 'registry')), {
    '10.0.0.1': true,
    '10.0.0.2': true,
    '10.0.0.3': true,
    '10.0.0.4': false,
    '10.0.0.5': false,
  });
  // At 0.2 the share is not below the threshold (strict, see `selectInstances`): no protection.
  assert.deepEqual(readiness(registryObjects(snapshotOf(0.2, instances), 'registry')), {
    '10.0.0.1': true,
    '10.0.0.2': false,
    '10.0.0.3': false,
    '10.0.0.4': false,
    '10.0.0.5': false,
  });
});

test('instance weights reach the slices through the endpoint-weight annotation', () => {
  const objects = registryObjects(
    snapshotOf(0, [instanceDef({ ip: '10.0.0.1', weight: 3 }), instanceDef({ ip: '10.0.0.2', weight: 1 })]),
    'registry',
  );
  const weights = objects
    .filter(({ object }) => object.kind === 'EndpointSlice')
    .map(({ object }) => [
      (object as { endpoints: { addresses: string[] }[] }).endpoints.map((e) => e.addresses[0]),
      object.metadata.annotations?.['tidegate.io/endpoint-weight'],
    ]);
  assert.deepEqual(weights, [
    [['10.0.0.2'], '1'],
    [['10.0.0.1'], '3'],
  ]);
});
