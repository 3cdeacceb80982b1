import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostTable } from '../../../src/router/host-table.js';

describe('HostTable', () => {
  const table = new HostTable<string>([
    ['shop.example.com', 'shop'],
    ['*.example.com', 'wild'],
    ['*.a.example.com', 'wild-a'],
    ['*', 'any'],
  ]);

  test('an exact name wins over a wildcard that also covers it', () => {
    assert.equal(table.lookup('shop.example.com'), 'shop');
  });

  test('a wildcard matches exactly one extra label', () => {
    assert.equal(table.lookup('a.example.com'), 'wild');
    assert.equal(table.lookup('b.a.example.com'), 'wild-a');
    assert.equal(table.lookup('c.b.a.example.com'), 'any');
    assert.equal(table.lookup('x.y.example.com'), 'any');
  });

  test('a wildcard does not match its bare suffix nor an empty label', () => {
    assert.equal(table.lookup('example.com'), 'any');
    assert.equal(table.lookup('.example.com'), 'any');
  });

  test('unknown hosts and the empty host fall to the catch-all', () => {
    assert.equal(table.lookup('other.test'), 'any');
    assert.equal(table.lookup(''), 'any');
  });

  test('without a catch-all an unknown host finds nothing', () => {
    const strict = new HostTable<string>([
      ['shop.example.com', 'shop'],
      ['*.example.com', 'wild'],
    ]);
    assert.equal(strict.lookup('other.test'), null);
    assert.equal(strict.lookup('example.com'), null);
    assert.equal(strict.lookup('localhost'), null);
    assert.equal(new HostTable<string>([]).lookup('a.b'), null);
  });

  test('the first entry for a hostname wins', () => {
    const dup = new HostTable<number>([
      ['a.test', 1],
      ['a.test', 2],
      ['*.test', 3],
      ['*.test', 4],
      ['*', 5],
      ['*', 6],
    ]);
    assert.equal(dup.lookup('a.test'), 1);
    assert.equal(dup.lookup('b.test'), 3);
    assert.equal(dup.lookup('c.other'), 5);
  });
});
