import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseCpuLayout, parseCpuList } from '../../../bench/cpu-layout.js';

describe('parseCpuList', () => {
  test('expands ranges and single ids in kernel list syntax', () => {
    assert.deepEqual(parseCpuList('0-1'), [0, 1]);
    assert.deepEqual(parseCpuList('2,4-6,9\n'), [2, 4, 5, 6, 9]);
  });

  test('rejects malformed lists', () => {
    assert.throws(() => parseCpuList('0-a'), /malformed/);
  });
});

describe('chooseCpuLayout', () => {
  test('two usable CPUs: the load side takes the first, the proxy the second, both named in the description', () => {
    const layout = chooseCpuLayout('0-1', true);
    assert.equal(layout.loadCpus, '0');
    assert.equal(layout.proxyCpus, '1');
    assert.match(layout.description, /proxy alone on CPU 1/);
    assert.match(layout.description, /on CPU 0/);
  });

  test('uses the CPUs this process may run on, not CPU ids 0 and 1', () => {
    const layout = chooseCpuLayout('6,9-11', true);
    assert.equal(layout.loadCpus, '6');
    assert.equal(layout.proxyCpus, '9');
  });

  test('does not pin with one CPU, an unknown CPU set, or without taskset', () => {
    for (const layout of [
      chooseCpuLayout('3', true),
      chooseCpuLayout(undefined, true),
      chooseCpuLayout('0-1', false),
    ]) {
      assert.equal(layout.proxyCpus, undefined);
      assert.equal(layout.loadCpus, undefined);
      assert.match(layout.description, /^not pinned: /);
    }
  });
});
