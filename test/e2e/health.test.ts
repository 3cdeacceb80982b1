/**
 * Endpoint health through the real gateway: passive outlier detection ejects an endpoint answering 503 and lets
 * it back after its ejection time; active HTTP checks take an endpoint out and back by their thresholds; panic
 * mode keeps serving when most endpoints look unhealthy; the admin snapshot and /metrics show it all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  annotate,
  countBy,
  get,
  type SwitchableUpstream,
  startSwitchableUpstreams,
} from '../support/balancing.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { endpointSlices, ingress, service, toYaml } from '../support/manifests.js';
import { waitUntil } from '../support/wait.js';

describe('health', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  const sets: Record<'outlier' | 'active' | 'panic', SwitchableUpstream[]> = {
    outlier: [],
    active: [],
    panic: [],
  };

  const endpointHealth = async (backend: string, port: number) =>
    (await gateway.snapshot()).backends
      .find((b) => b.name === backend)
      ?.endpoints.find((e) => e.port === port)?.health ?? null;

  before(async () => {
    for (const set of Object.keys(sets) as (keyof typeof sets)[]) {
      sets[set] = await startSwitchableUpstreams(cleanups, [`${set}-a`, `${set}-b`, `${set}-c`]);
    }
    const fastChecks = {
      'tidegate.io/health-check-path': '/healthz',
      'tidegate.io/health-check-interval': '100ms',
      'tidegate.io/health-check-unhealthy-threshold': '2',
      'tidegate.io/health-check-healthy-threshold': '2',
    };
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          annotate(service('outlier'), {
            'tidegate.io/outlier-consecutive-5xx': '3',
            'tidegate.io/outlier-base-ejection-time': '1s',
            'tidegate.io/outlier-max-ejection-percent': '34',
          }),
          ...endpointSlices('outlier', sets.outlier),
          annotate(service('active'), fastChecks),
          ...endpointSlices('active', sets.active),
          annotate(service('panic'), fastChecks),
          ...endpointSlices('panic', sets.panic),
        ]),
        'ingress.yaml': toYaml([
          ingress('health', {
            rules: (['outlier', 'active', 'panic'] as const).map((host) => ({
              host: `${host}.test`,
              paths: [{ path: '/', service: host }],
            })),
          }),
        ]),
      },
    });
  });

  test('outlier detection: three consecutive 503 eject the endpoint; it returns after the ejection time', async () => {
    const bad = sets.outlier[0] as SwitchableUpstream;
    bad.behaviour.status = 503;
    try {
      const answers = [];
      for (let i = 0; i < 30; i++) answers.push(await get(gateway.urls.web, 'outlier.test', '/'));
      // Round robin reaches the bad endpoint every third request: 3 failures, then it is out.
      assert.equal(answers.filter((a) => a.status === 503).length, 3);
      const health = await endpointHealth('backend/default/outlier/80', bad.port);
      assert.equal(health?.ejected, true);
      assert.equal(health?.ejectionCount, 1);
      assert.ok(health?.ejectedUntil !== null);
      const metrics = (await gateway.admin('/metrics')).body;
      assert.match(metrics, /tidegate_outlier_ejections_total\{service="backend\/default\/outlier\/80"\} 1/);
      assert.match(
        metrics,
        /tidegate_endpoint_ejected\{service="backend\/default\/outlier\/80",endpoint="[^"]+"\} 1/,
      );
      bad.behaviour.status = 200;
      await waitUntil(
        async () => (await endpointHealth('backend/default/outlier/80', bad.port))?.ejected === false,
        {
          timeoutMs: 5_000,
          what: 'the ejected endpoint to return',
        },
      );
      const served = bad.served;
      for (let i = 0; i < 9; i++)
        assert.equal((await get(gateway.urls.web, 'outlier.test', '/')).status, 200);
      assert.equal(bad.served - served, 3, 'back in the rotation');
    } finally {
      bad.behaviour.status = 200;
    }
  });

  test('active checks: an endpoint failing /healthz leaves the rotation and comes back when it passes', async () => {
    const sick = sets.active[1] as SwitchableUpstream;
    const backend = 'backend/default/active/80';
    await waitUntil(async () => (await endpointHealth(backend, sick.port))?.lastCheck === 'pass', {
      timeoutMs: 5_000,
      what: 'a first passing check',
    });
    sick.behaviour.healthStatus = 500;
    await waitUntil(async () => (await endpointHealth(backend, sick.port))?.available === false, {
      timeoutMs: 5_000,
      what: 'the endpoint to be marked unhealthy',
    });
    const served = sick.served;
    for (let i = 0; i < 20; i++) assert.equal((await get(gateway.urls.web, 'active.test', '/')).status, 200);
    assert.equal(sick.served, served, 'no traffic while unhealthy');
    const metrics = (await gateway.admin('/metrics')).body;
    assert.match(
      metrics,
      /tidegate_health_checks_total\{service="backend\/default\/active\/80",result="fail"\} [1-9]/,
    );
    sick.behaviour.healthStatus = 200;
    await waitUntil(async () => (await endpointHealth(backend, sick.port))?.available === true, {
      timeoutMs: 5_000,
      what: 'the endpoint to be healthy again',
    });
    const counts = countBy(
      await Promise.all(Array.from({ length: 30 }, () => get(gateway.urls.web, 'active.test', '/'))),
    );
    assert.ok((counts.get(sick.name) ?? 0) > 0, 'traffic again');
  });

  test('panic mode: with two of three endpoints unhealthy (< 50%), all three serve again', async () => {
    const backend = 'backend/default/panic/80';
    const [a, b, c] = sets.panic as [SwitchableUpstream, SwitchableUpstream, SwitchableUpstream];
    a.behaviour.healthStatus = 500;
    try {
      await waitUntil(async () => (await endpointHealth(backend, a.port))?.available === false, {
        timeoutMs: 5_000,
        what: 'a to be unhealthy',
      });
      // One of three down: 67% available, no panic: a gets nothing.
      let counts = countBy(
        await Promise.all(Array.from({ length: 30 }, () => get(gateway.urls.web, 'panic.test', '/'))),
      );
      assert.equal(counts.get(a.name), undefined);
      b.behaviour.healthStatus = 500;
      await waitUntil(async () => (await endpointHealth(backend, b.port))?.available === false, {
        timeoutMs: 5_000,
        what: 'b to be unhealthy',
      });
      counts = countBy(
        await Promise.all(Array.from({ length: 30 }, () => get(gateway.urls.web, 'panic.test', '/'))),
      );
      assert.deepEqual([...counts.keys()].sort(), [a.name, b.name, c.name]);
    } finally {
      a.behaviour.healthStatus = 200;
      b.behaviour.healthStatus = 200;
    }
  });
});
