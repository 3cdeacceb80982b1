import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveStats, quantile } from '../../../src/observability/live-stats.js';
import { DURATION_BUCKETS_SECONDS, GatewayMetrics } from '../../../src/observability/metrics.js';

test('quantiles interpolate inside the bucket, as histogram_quantile does', () => {
  const buckets = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);
  // 10 observations in (0.005, 0.01], 10 in (0.01, 0.025].
  buckets[3] = 10;
  buckets[4] = 10;
  assert.equal(quantile(0.5, buckets, 20), 0.01);
  assert.ok(Math.abs((quantile(0.99, buckets, 20) as number) - (0.01 + 0.015 * 0.98)) < 1e-12);
  assert.equal(quantile(0.5, buckets, 0), null);
  const slow = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);
  slow[slow.length - 1] = 3;
  assert.equal(quantile(0.5, slow, 3), 10, 'the +Inf bucket answers the highest finite bound');
});

test('each tick turns the increase of the request series into rates per route, entry point and in total', () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  let now = 0;
  const stats = new LiveStats(metrics, { now: () => now, historySize: 2 });
  for (let i = 0; i < 8; i++) metrics.requestFinished('web', 'r1', 'b1', 'GET', 200, 0.003);
  metrics.requestFinished('web', 'r1', 'b1', 'GET', 502, 0.003);
  metrics.requestFinished('web', 'r1', 'b1', 'GET', 503, 0.003);
  metrics.requestFinished('websecure', 'r2', 'b2', 'GET', 200, 0.3);
  now = 2_000;
  const first = stats.tick();
  assert.equal(first.totals.rps, 5.5);
  assert.deepEqual(
    first.routes.map((r) => [r.route, r.service, r.rps, r.errorRate]),
    [
      ['r1', 'b1', 5, 0.2],
      ['r2', 'b2', 0.5, 0],
    ],
  );
  assert.equal(first.entryPoints.websecure?.rps, 0.5);
  assert.ok((first.routes[0]?.p99 as number) <= 0.005);

  now = 3_000;
  const idle = stats.tick();
  assert.equal(idle.totals.rps, 0);
  assert.deepEqual(idle.routes, []);
  assert.equal(idle.totals.p50, null);
  assert.equal(idle.entryPoints.web?.rps, 0, 'entry points stay listed while idle');

  stats.tick();
  assert.equal(stats.history().length, 2, 'the history is bounded');
});
