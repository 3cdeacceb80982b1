import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CanaryPolicy } from '../../../src/ir/types.js';
import { CanaryCounter, CanarySplit } from '../../../src/resilience/canary-split.js';

const base: CanaryPolicy = {
  backend: 'backend/default/next/80',
  source: { kind: 'Ingress', namespace: 'default', name: 'canary' },
  header: null,
  headerValue: null,
  headerPattern: null,
  cookie: null,
  weight: 0,
  weightTotal: 100,
};

describe('canary split', () => {
  test('weight: exactly weight of every weightTotal consecutive requests, spread out, across recompiles', () => {
    const counter = new CanaryCounter();
    let split = new CanarySplit({ ...base, weight: 30 }, counter);
    let canary = 0;
    let longestRun = 0;
    let run = 0;
    for (let i = 0; i < 1000; i++) {
      if (i === 500) split = new CanarySplit({ ...base, weight: 30 }, counter);
      if (split.toCanary({})) {
        canary++;
        run = 0;
      } else longestRun = Math.max(longestRun, ++run);
    }
    assert.equal(canary, 300);
    assert.ok(longestRun <= 3, `main requests in a row: ${longestRun}`);
    const none = new CanarySplit(base, new CanaryCounter());
    const all = new CanarySplit({ ...base, weight: 100 }, new CanaryCounter());
    for (let i = 0; i < 50; i++) {
      assert.equal(none.toCanary({}), false);
      assert.equal(all.toCanary({}), true);
    }
  });

  test('header beats cookie beats weight; always/never, exact value and pattern as ingress-nginx', () => {
    const split = new CanarySplit(
      { ...base, header: 'x-canary', cookie: 'canary', weight: 0 },
      new CanaryCounter(),
    );
    assert.equal(split.toCanary({ 'x-canary': 'always' }), true);
    assert.equal(split.toCanary({ 'x-canary': 'never', cookie: 'canary=always' }), false);
    assert.equal(split.toCanary({ 'x-canary': 'other', cookie: 'a=1; canary=always' }), true);
    assert.equal(split.toCanary({ cookie: 'canary=never' }), false);
    assert.equal(split.toCanary({ cookie: 'xcanary=always' }), false);
    const valued = new CanarySplit({ ...base, header: 'x-canary', headerValue: 'yes' }, new CanaryCounter());
    assert.equal(valued.toCanary({ 'x-canary': 'yes' }), true);
    assert.equal(
      valued.toCanary({ 'x-canary': 'always' }),
      false,
      'with a value, always is just another value',
    );
    const pattern = new CanarySplit(
      { ...base, header: 'x-canary', headerPattern: '^(beta|internal)$' },
      new CanaryCounter(),
    );
    assert.equal(pattern.toCanary({ 'x-canary': 'beta' }), true);
    assert.equal(pattern.toCanary({ 'x-canary': 'betamax' }), false);
  });
});
