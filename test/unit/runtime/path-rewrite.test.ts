import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathRewriter } from '../../../src/runtime/path-rewrite.js';

function rewriter(pattern: string, replacement: string, caseInsensitive = false): PathRewriter {
  return new PathRewriter({ type: 'regex', pattern, replacement, caseInsensitive });
}

test('captures replace $1..$9; a group that did not take part becomes empty', () => {
  const r = rewriter('/api(/|$)(.*)', '/$2');
  assert.equal(r.apply('/api/orders/7', '/api/orders/7'), '/orders/7');
  assert.equal(r.apply('/api', '/api'), '/');
  assert.equal(rewriter('/a(/x)?', '/b$1').apply('/a', '/a'), '/b');
});

test('the pattern is anchored at the start of the path', () => {
  const r = rewriter('/api', '/');
  assert.equal(r.apply('/v1/api', '/v1/api'), '/v1/api');
});

test('the original query string is kept, merged after & when the replacement has its own, dropped with a trailing ?', () => {
  assert.equal(rewriter('/old/(.*)', '/new/$1').apply('/old/x?a=1', '/old/x'), '/new/x?a=1');
  assert.equal(rewriter('/old/(.*)', '/new?page=$1').apply('/old/3?a=1', '/old/3'), '/new?page=3&a=1');
  assert.equal(rewriter('/old/(.*)', '/new/$1?').apply('/old/x?a=1', '/old/x'), '/new/x');
});

test('$10 is $1 followed by 0, and a $ not followed by a digit stays literal (nginx)', () => {
  assert.equal(rewriter('/(a)', '/$10').apply('/a', '/a'), '/a0');
  assert.equal(rewriter('/(a)', '/$x$').apply('/a', '/a'), '/$x$');
});

test('case-insensitive patterns match any case; a non-matching path returns the target object unchanged', () => {
  assert.equal(rewriter('/API', '/', true).apply('/api', '/api'), '/');
  const target = '/other?q=1';
  assert.equal(rewriter('/api', '/').apply(target, '/other'), target);
});

test('an invalid pattern throws at construction, not per request', () => {
  assert.throws(() => rewriter('/(unclosed', '/'), SyntaxError);
});
