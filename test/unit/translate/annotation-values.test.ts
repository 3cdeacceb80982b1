import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBoolean, parseByteSize, parseTimeoutMs } from '../../../src/translate/annotations/values.js';

describe('parseBoolean (Go strconv.ParseBool)', () => {
  test('reads every spelling Go accepts', () => {
    for (const value of ['1', 't', 'T', 'TRUE', 'true', 'True'])
      assert.equal(parseBoolean(value), true, value);
    for (const value of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
      assert.equal(parseBoolean(value), false, value);
  });

  test('refuses anything else', () => {
    for (const value of ['', 'yes', 'no', 'on', 'tRUE', ' true', '2'])
      assert.equal(parseBoolean(value), null, value);
  });
});

describe('parseTimeoutMs', () => {
  test('bare numbers are seconds, as ingress-nginx reads them', () => {
    assert.equal(parseTimeoutMs('30'), 30_000);
    assert.equal(parseTimeoutMs(' 5 '), 5000);
  });

  test('accepts ms, s and m suffixes', () => {
    assert.equal(parseTimeoutMs('500ms'), 500);
    assert.equal(parseTimeoutMs('30s'), 30_000);
    assert.equal(parseTimeoutMs('2m'), 120_000);
  });

  test('refuses zero, negatives, fractions, other units and values beyond the Node timer limit', () => {
    for (const value of ['0', '0s', '-1', '1.5', '1h', 'soon', '', '30 s', '2147484s']) {
      assert.equal(parseTimeoutMs(value), null, value);
    }
    assert.equal(parseTimeoutMs('2147483647ms'), 2_147_483_647);
  });
});

describe('parseByteSize (nginx client_max_body_size)', () => {
  test('reads bytes and binary k/m/g in either case', () => {
    assert.deepEqual(parseByteSize('512'), { bytes: 512 });
    assert.deepEqual(parseByteSize('8k'), { bytes: 8192 });
    assert.deepEqual(parseByteSize('8K'), { bytes: 8192 });
    assert.deepEqual(parseByteSize('1m'), { bytes: 1_048_576 });
    assert.deepEqual(parseByteSize('2G'), { bytes: 2 * 1024 ** 3 });
  });

  test('"0" disables the limit', () => {
    assert.deepEqual(parseByteSize('0'), { bytes: null });
    assert.deepEqual(parseByteSize('0m'), { bytes: null });
  });

  test('refuses other syntax and sizes beyond a safe integer', () => {
    for (const value of ['', '8mb', '1.5m', '-1', '8 m', 'lots', '99999999999999999g']) {
      assert.equal(parseByteSize(value), null, value);
    }
  });
});
