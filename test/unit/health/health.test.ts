import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import { ActiveHealthChecker } from '../../../src/health/active-checker.js';
import { OutlierDetector } from '../../../src/health/outlier-detector.js';
import type { ActiveHealthCheck, Backend, IR, OutlierDetection } from '../../../src/ir/types.js';
import { createLogger } from '../../../src/observability/logger.js';

const logger = createLogger({ level: 'silent', format: 'json' });
const BACKEND = 'backend/default/app/80';

function ir(addresses: readonly { ip: string; port: number }[], health: Backend['health']): IR {
  return {
    virtualHosts: [],
    certificates: [],
    backends: [
      {
        name: BACKEND,
        source: { kind: 'Service', namespace: 'default', name: 'app' },
        kind: 'service',
        loadBalancer: { type: 'round_robin' },
        health,
        endpoints: addresses.map((a) => ({
          name: `${BACKEND}|${a.ip}:${a.port}`,
          address: a.ip,
          port: a.port,
          ready: true,
          serving: true,
          terminating: false,
          weight: 1,
        })),
      },
    ],
  };
}

function bind(registry: EndpointStateRegistry, model: IR) {
  const backend = model.backends[0] as Backend;
  return registry.bindEndpoints(
    backend.name,
    backend.endpoints.map((e) => e.name),
  );
}

/** Polls `condition` every 10 ms for at most `ms`. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const outlier: OutlierDetection = {
  consecutive5xx: 3,
  consecutiveGatewayFailure: 2,
  baseEjectionMs: 150,
  maxEjectionMs: 1000,
  maxEjectionPercent: 50,
};
const clock = { now: () => Date.now(), monotonic: () => performance.now() };

test('outlier detection: consecutive 5xx eject for base time × count, then the endpoint returns', async () => {
  const registry = new EndpointStateRegistry();
  const model = ir(
    [1, 2, 3, 4].map((i) => ({ ip: `10.0.0.${i}`, port: 80 })),
    { active: null, outlier, panicThresholdPercent: 50 },
  );
  const [a, b, c] = bind(registry, model) as [
    ReturnType<typeof bind>[0],
    ReturnType<typeof bind>[0],
    ReturnType<typeof bind>[0],
  ];
  const detector = new OutlierDetector(registry, clock, logger, null);
  detector.start();
  detector.update(model);
  try {
    registry.ended(a, 'http-5xx', 1);
    registry.ended(a, 'http-5xx', 1);
    registry.ended(a, 'success', 1);
    registry.ended(a, 'http-5xx', 1);
    registry.ended(a, 'http-5xx', 1);
    assert.equal(a.ejected, false, 'a success resets the streak');
    registry.ended(a, 'http-5xx', 1);
    assert.equal(a.ejected, true);
    assert.equal(a.ejectionCount, 1);
    // Gateway failures trip their own, lower threshold; local outcomes count nowhere.
    registry.ended(b, 'local', 1);
    registry.ended(b, 'gateway-failure', 1);
    registry.ended(b, 'local', 1);
    registry.ended(b, 'gateway-failure', 1);
    assert.equal(b.ejected, true);
    // max-ejection-percent 50 of 4: a third endpoint stays in.
    for (let i = 0; i < 5; i++) registry.ended(c, 'gateway-failure', 1);
    assert.equal(c.ejected, false);
    await until(() => !a.ejected && !b.ejected);
    // Second ejection lasts twice as long.
    for (let i = 0; i < 3; i++) registry.ended(a, 'http-5xx', 1);
    assert.equal(a.ejectionCount, 2);
    assert.ok(a.ejectedUntilMs - Date.now() > 200, 'base × 2');
    await until(() => !a.ejected);
  } finally {
    detector.close();
  }
});

async function upstream(status: { code: number }): Promise<Server> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/ready' ? status.code : 404;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const check: ActiveHealthCheck = {
  type: 'http',
  path: '/ready',
  statusMin: 200,
  statusMax: 299,
  intervalMs: 30,
  timeoutMs: 500,
  jitterPercent: 10,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

test('active HTTP checks mark an endpoint unhealthy and healthy again by thresholds; reconcile adds and removes', async () => {
  const status = { code: 200 };
  const server = await upstream(status);
  const port = (server.address() as AddressInfo).port;
  const registry = new EndpointStateRegistry();
  const model = ir([{ ip: '127.0.0.1', port }], { active: check, outlier: null, panicThresholdPercent: 50 });
  const [state] = bind(registry, model) as [ReturnType<typeof bind>[0]];
  const checker = new ActiveHealthChecker(registry, logger, null);
  try {
    checker.reconcile(model);
    assert.equal(checker.size, 1);
    await until(() => state.lastCheck === 'pass');
    status.code = 503;
    await until(() => !state.activeHealthy);
    status.code = 204;
    await until(() => state.activeHealthy);
    // Reconcile with the same IR keeps the probe; without checks it goes and its verdict is cleared.
    checker.reconcile(model);
    assert.equal(checker.size, 1);
    status.code = 500;
    await until(() => !state.activeHealthy);
    checker.reconcile(
      ir([{ ip: '127.0.0.1', port }], { active: null, outlier: null, panicThresholdPercent: 50 }),
    );
    assert.equal(checker.size, 0);
    assert.equal(state.activeHealthy, true);
  } finally {
    checker.close();
    server.close();
  }
});

test('active TCP checks: a closed port fails, a listening one passes', async () => {
  const server = await upstream({ code: 200 });
  const port = (server.address() as AddressInfo).port;
  const registry = new EndpointStateRegistry();
  const tcp: ActiveHealthCheck = { ...check, type: 'tcp' };
  const model = ir([{ ip: '127.0.0.1', port }], { active: tcp, outlier: null, panicThresholdPercent: 50 });
  const [state] = bind(registry, model) as [ReturnType<typeof bind>[0]];
  const checker = new ActiveHealthChecker(registry, logger, null);
  try {
    checker.reconcile(model);
    await until(() => state.lastCheck === 'pass');
    server.close();
    await once(server, 'close');
    await until(() => !state.activeHealthy);
  } finally {
    checker.close();
    server.close();
  }
});
