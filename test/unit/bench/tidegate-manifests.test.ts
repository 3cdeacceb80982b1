import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tidegateManifests } from '../../../bench/tidegate.js';
import { loopbackAddresses } from '../../../bench/upstream-server.js';
import { parseManifests } from '../../../src/providers/file/parse-manifests.js';
import { translate } from '../../../src/translate/translate.js';
import { GOLDEN_OPTIONS } from '../translate/golden-support.js';

/** The generated manifests through the gateway's own parser and translator: what tidegate would serve. */
function translated(text: string) {
  const parsed = parseManifests(text, 'bench.yaml');
  assert.deepEqual(parsed.errors, []);
  return translate(parsed.objects, GOLDEN_OPTIONS);
}

describe('loopbackAddresses', () => {
  test('starts at 127.0.0.1 and keeps the last octet within 1..250', () => {
    assert.deepEqual(loopbackAddresses(3), ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    const thousand = loopbackAddresses(1000);
    assert.equal(new Set(thousand).size, 1000);
    assert.equal(thousand[249], '127.0.0.250');
    assert.equal(thousand[250], '127.0.1.1');
    assert.equal(thousand[999], '127.0.3.250');
  });
});

describe('tidegateManifests', () => {
  test('the Service annotation selects the policy, and every address becomes a ready endpoint', () => {
    const addresses = loopbackAddresses(1000);
    const result = translated(
      tidegateManifests(18080, 'bench.tidegate.test', { addresses, loadBalance: 'maglev' }),
    );
    for (const status of result.statuses) {
      assert.deepEqual(status.warnings, [], `${status.ref.kind} ${status.ref.name}`);
      assert.ok(
        status.conditions.every((condition) => condition.status === 'True'),
        JSON.stringify(status.conditions),
      );
    }
    const [backend, ...others] = result.ir.backends;
    assert.ok(backend !== undefined);
    assert.equal(others.length, 0);
    assert.deepEqual(backend.loadBalancer, { type: 'maglev', hashBy: [{ type: 'client-ip' }] });
    assert.equal(backend.endpoints.length, 1000);
    assert.ok(backend.endpoints.every((endpoint) => endpoint.ready && endpoint.port === 18080));
    assert.deepEqual(new Set(backend.endpoints.map((endpoint) => endpoint.address)), new Set(addresses));
  });

  test('without a policy the backend keeps the default, round_robin, as in the peer table', () => {
    const result = translated(
      tidegateManifests(18080, 'bench.tidegate.test', { addresses: loopbackAddresses(1) }),
    );
    assert.deepEqual(
      result.ir.backends.map((backend) => [backend.loadBalancer, backend.endpoints.map((e) => e.address)]),
      [[{ type: 'round_robin' }, ['127.0.0.1']]],
    );
  });
});
