import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayMetrics } from '../../../src/observability/metrics.js';

/** The value of the one sample line that starts with `prefix` (name and labels as printed). */
function sample(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('requests are counted by entry point, route, service, method and code', async () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  metrics.requestFinished(
    'web',
    'ingress/default/shop/rule/0/path/0',
    'backend/default/shop/80',
    'GET',
    200,
    0.003,
  );
  metrics.requestFinished(
    'web',
    'ingress/default/shop/rule/0/path/0',
    'backend/default/shop/80',
    'GET',
    200,
    0.2,
  );
  metrics.requestFinished('web', '', '', 'BREW', 404, 0.0001);
  const text = await metrics.metricsText();
  const labels =
    'entrypoint="web",route="ingress/default/shop/rule/0/path/0",service="backend/default/shop/80"';
  assert.equal(sample(text, `tidegate_requests_total{${labels},method="GET",code="200"}`), 2);
  assert.equal(
    sample(text, 'tidegate_requests_total{entrypoint="web",route="",service="",method="OTHER",code="404"}'),
    1,
  );
  assert.equal(sample(text, `tidegate_request_duration_seconds_count{${labels}}`), 2);
  assert.equal(sample(text, `tidegate_request_duration_seconds_bucket{${labels},le="0.005"}`), 1);
  assert.equal(sample(text, `tidegate_request_duration_seconds_bucket{${labels},le="0.25"}`), 2);
  assert.equal(sample(text, `tidegate_request_duration_seconds_bucket{${labels},le="+Inf"}`), 2);
});

test('counters keep their totals across scrapes (each scrape exports only the increase)', async () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const labels = 'tidegate_requests_total{entrypoint="web",route="r",service="b",method="POST",code="503"}';
  metrics.requestFinished('web', 'r', 'b', 'POST', 503, 0.01);
  assert.equal(sample(await metrics.metricsText(), labels), 1);
  metrics.requestFinished('web', 'r', 'b', 'POST', 503, 0.01);
  metrics.requestFinished('web', 'r', 'b', 'POST', 503, 0.01);
  assert.equal(sample(await metrics.metricsText(), labels), 3);
  assert.equal(sample(await metrics.metricsText(), labels), 3);
});

test('made-up methods cannot grow the label set', () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  for (let i = 0; i < 50; i++) metrics.requestFinished('web', 'r', 'b', `X${i}`, 200, 0.001);
  assert.equal(metrics.requestSeriesCount, 1);
});

test('connections, reloads and the rejected-object gauge are exported', async () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  metrics.connectionChanged('web', 1);
  metrics.connectionChanged('web', 1);
  metrics.connectionChanged('web', -1);
  metrics.reloadSucceeded(4, 2, 1_700_000_000_000);
  metrics.reloadFailed();
  const text = await metrics.metricsText();
  assert.equal(sample(text, 'tidegate_open_connections{entrypoint="web"}'), 1);
  assert.equal(sample(text, 'tidegate_config_reloads_total{result="success"}'), 1);
  assert.equal(sample(text, 'tidegate_config_reloads_total{result="failure"}'), 1);
  assert.equal(sample(text, 'tidegate_config_last_reload_success_timestamp_seconds'), 1_700_000_000);
  assert.equal(sample(text, 'tidegate_config_rejected_objects'), 2);
  assert.equal(sample(text, 'tidegate_snapshot_version'), 4);
});

test('retries are added per finished request and exported by route and service', async () => {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  metrics.requestFinished('web', 'r', 'b', 'GET', 200, 0.01, 0, 2, 0.005, 2);
  metrics.requestFinished('web', 'r', 'b', 'GET', 200, 0.01, 0, 2, 0.005, 0);
  metrics.requestFinished('web', 'r', 'b', 'GET', 502, 0.01, 0, 0, -1, 1);
  const labels = 'tidegate_retries_total{entrypoint="web",route="r",service="b"}';
  assert.equal(sample(await metrics.metricsText(), labels), 3);
  assert.equal(sample(await metrics.metricsText(), labels), 3);
});
