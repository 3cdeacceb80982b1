import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CircuitTrip } from '../../../src/ir/types.js';
import { CircuitBreaker } from '../../../src/resilience/circuit-breaker.js';
import { RollingWindow } from '../../../src/resilience/rolling-window.js';
import { parseTripExpression } from '../../../src/translate/annotations/trip-expression.js';

function trip(source: string, overrides: Partial<CircuitTrip> = {}): CircuitTrip {
  const parsed = parseTripExpression(source);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return {
    source,
    expression: parsed.expression,
    checkPeriodMs: 100,
    fallbackMs: 1000,
    probes: 2,
    minRequests: 4,
    ...overrides,
  };
}

describe('trip expressions', () => {
  test('parse Traefik syntax with precedence of && over || and parentheses', () => {
    const parsed = parseTripExpression(
      'NetworkErrorRatio() > 0.5 || ResponseCodeRatio(500, 600, 0, 600) > 0.2 && LatencyAtQuantileMS(50.0) > 100',
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.expression.type, 'or');
    if (parsed.expression.type === 'or') assert.equal(parsed.expression.right.type, 'and');
  });

  test('reject unknown metrics, wrong arity and dangling operators with a reason', () => {
    for (const bad of [
      'Foo() > 1',
      'NetworkErrorRatio(1) > 1',
      'LatencyAtQuantileMS(50) >',
      'NetworkErrorRatio() > 1 &&',
      '',
    ]) {
      const parsed = parseTripExpression(bad);
      assert.equal(parsed.ok, false, bad);
    }
  });

  test('window metrics: network error ratio, response code ratio, latency quantile', () => {
    const window = new RollingWindow();
    for (let i = 0; i < 8; i++) window.recordResponse(1000, i < 2 ? 503 : 200, i < 4 ? 10 : 400);
    window.recordNetworkError(1000);
    window.recordNetworkError(1000);
    assert.equal(window.metric({ type: 'NetworkErrorRatio' }, 1500), 0.2);
    assert.equal(
      window.metric({ type: 'ResponseCodeRatio', from: 500, to: 600, dividedFrom: 0, dividedTo: 600 }, 1500),
      0.25,
    );
    const median = window.metric({ type: 'LatencyAtQuantileMS', quantile: 50 }, 1500);
    assert.ok(median >= 10 && median < 13, `median ${median}`);
    const p99 = window.metric({ type: 'LatencyAtQuantileMS', quantile: 99 }, 1500);
    assert.ok(p99 >= 400 && p99 < 480, `p99 ${p99}`);
    // 10 s later the window is empty again.
    assert.equal(window.tries(11_500), 0);
  });
});

describe('circuit breaker', () => {
  test('opens on the expression, refuses during the fallback, probes one at a time, closes after good probes', () => {
    const breaker = new CircuitBreaker();
    breaker.configure(trip('NetworkErrorRatio() > 0.5'));
    let now = 10_000;
    assert.equal(breaker.admit(now), 1);
    // Below minRequests nothing trips, however bad.
    for (let i = 0; i < 3; i++) {
      now += 200;
      breaker.record(now, 0, 5, false);
    }
    assert.equal(breaker.state, 'closed');
    now += 200;
    breaker.record(now, 0, 5, false);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.opened, 1);
    assert.equal(breaker.admit(now + 500), 0);
    now += 1000;
    assert.equal(breaker.admit(now), 2, 'the first request after the fallback is a probe');
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.admit(now), 0, 'one probe at a time');
    breaker.record(now, 200, 5, true);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.admit(now), 2);
    breaker.record(now, 204, 5, true);
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.admit(now), 1);
  });

  test('a failed probe opens the breaker again; a probe the client abandoned frees the slot', () => {
    const breaker = new CircuitBreaker();
    breaker.configure(trip('ResponseCodeRatio(500, 600, 0, 600) > 0.5'));
    let now = 0;
    for (let i = 0; i < 4; i++) {
      now += 150;
      breaker.record(now, 503, 5, false);
    }
    assert.equal(breaker.state, 'open');
    now += 1000;
    assert.equal(breaker.admit(now), 2);
    breaker.record(now, -1, 0, true);
    assert.equal(breaker.admit(now), 2, 'the abandoned probe does not block the next one');
    breaker.record(now, 502, 5, true);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.opened, 2);
    assert.equal(breaker.admit(now + 10), 0);
  });

  test('without an expression the breaker always admits', () => {
    const breaker = new CircuitBreaker();
    breaker.configure(null);
    for (let i = 0; i < 100; i++) breaker.record(i, 0, 1, false);
    assert.equal(breaker.admit(200), 1);
  });
});
