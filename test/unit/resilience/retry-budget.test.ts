import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY_POLICY } from '../../../src/ir/resilience-defaults.js';
import { BackendGuard, GRANTED, OVERFLOW, QUEUED } from '../../../src/resilience/backend-guard.js';
import { backoffMs } from '../../../src/resilience/backoff.js';
import { RetryBudget } from '../../../src/resilience/retry-budget.js';
import { retryAllowed } from '../../../src/resilience/retry-conditions.js';

describe('retry budget', () => {
  test('retries stay within the percentage of the window’s requests when the minimum concurrency is 0', () => {
    const budget = new RetryBudget();
    let granted = 0;
    for (let i = 0; i < 1000; i++) {
      budget.requestStarted(5000);
      if (budget.tryAcquire(5000, 20, 0)) granted++;
    }
    assert.equal(granted, 200);
    assert.equal(budget.refused, 800);
  });

  test('the minimum concurrency allows retries in flight whatever the ratio; the window forgets after 10 s', () => {
    const budget = new RetryBudget();
    assert.ok(budget.tryAcquire(0, 20, 2));
    assert.ok(budget.tryAcquire(0, 20, 2));
    assert.equal(budget.tryAcquire(0, 20, 2), false);
    budget.retryEnded();
    assert.ok(budget.tryAcquire(0, 20, 2));
    budget.retryEnded();
    budget.retryEnded();
    for (let i = 0; i < 10; i++) budget.requestStarted(0);
    budget.retryEnded();
    assert.equal(budget.tryAcquire(20_000, 20, 0), false, 'no requests in the current window');
  });
});

describe('backend guard', () => {
  const waiter = {
    granted: 0,
    connectionGranted() {
      this.granted++;
    },
  };

  test('connections beyond the limit wait as pending, then overflow; a released slot goes to the oldest waiter', () => {
    const guard = new BackendGuard('b');
    guard.configure({ ...DEFAULT_CIRCUIT_BREAKER, maxConnections: 1, maxPendingRequests: 1, maxRequests: 3 });
    assert.equal(guard.acquireConnection(waiter), GRANTED);
    assert.equal(guard.acquireConnection(waiter), QUEUED);
    assert.equal(guard.acquireConnection(waiter), OVERFLOW);
    guard.releaseConnection();
    assert.equal(waiter.granted, 1);
    assert.equal(guard.connections, 1);
    guard.releaseConnection();
    assert.equal(guard.connections, 0);
    assert.ok(guard.admitRequest() && guard.admitRequest() && guard.admitRequest());
    assert.equal(guard.admitRequest(), false);
    assert.equal(guard.overflows, 2);
  });
});

describe('retry conditions and backoff', () => {
  test('non-idempotent methods are repeated only after connect failures unless the route allows every method', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, onReset: true, statuses: [503] };
    assert.ok(retryAllowed(policy, 'POST', 'connect', 0));
    assert.equal(retryAllowed(policy, 'POST', 'reset', 0), false);
    assert.equal(retryAllowed(policy, 'POST', null, 503), false);
    assert.ok(retryAllowed(policy, 'GET', null, 503));
    assert.equal(retryAllowed(policy, 'GET', null, 500), false);
    assert.equal(retryAllowed(policy, 'GET', 'timeout', 0), false);
    assert.ok(retryAllowed({ ...policy, methods: 'all' }, 'POST', null, 503));
  });

  test('backoff is fully jittered and capped', () => {
    assert.equal(backoffMs(1, 25, 250, 0), 0);
    assert.equal(backoffMs(1, 25, 250, 0.999), 25);
    assert.equal(backoffMs(3, 25, 250, 0.999), 100);
    assert.equal(backoffMs(10, 25, 250, 0.999), 250);
  });
});
