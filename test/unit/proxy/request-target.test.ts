import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ParsedTarget,
  parseRequestTarget,
  removeDotSegments,
  routingHost,
} from '../../../src/proxy/request-target.js';

function parse(url: string): ParsedTarget | null {
  const out: ParsedTarget = { authority: null, path: '', target: '' };
  return parseRequestTarget(url, out) ? out : null;
}

describe('parseRequestTarget', () => {
  test('origin-form without dot segments is returned as received', () => {
    const url = '/shop/items?id=1';
    const parsed = parse(url);
    assert.deepEqual(parsed, { authority: null, path: '/shop/items', target: url });
    assert.equal(parsed?.target, url);
  });

  test('absolute-form takes the authority from the target (RFC 9112 §3.2.2)', () => {
    assert.deepEqual(parse('http://Example.com:8080/a/../b?q=1'), {
      authority: 'Example.com:8080',
      path: '/b',
      target: '/b?q=1',
    });
    assert.deepEqual(parse('HTTPS://example.com'), { authority: 'example.com', path: '/', target: '/' });
    assert.deepEqual(parse('http://example.com?x'), { authority: 'example.com', path: '/', target: '/?x' });
  });

  test('other forms are rejected', () => {
    for (const url of [
      '*',
      'example.com:443',
      '',
      'ftp://example.com/',
      'http:///path',
      'http://user@example.com/',
    ]) {
      assert.equal(parse(url), null, url);
    }
  });
});

describe('removeDotSegments (RFC 3986 §5.2.4)', () => {
  const cases: [string, string][] = [
    ['/a/b/c/./../../g', '/a/g'],
    ['/public/../admin', '/admin'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['/a/%2e%2E/b', '/b'],
    ['/a/.%2e/b', '/b'],
    ['/a/..b/.c', '/a/..b/.c'],
    ['/a//b/', '/a//b/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/%2f/b', '/a/%2f/b'],
  ];
  for (const [input, expected] of cases) {
    test(`${input} → ${expected}`, () => assert.equal(removeDotSegments(input), expected));
  }
});

describe('routingHost', () => {
  const cases: [string, string][] = [
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:80', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () =>
      assert.equal(routingHost(input), expected));
  }
});
