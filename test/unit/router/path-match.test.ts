import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anchoredRegExp, compilePathMatch, normalizePrefix } from '../../../src/router/path-match.js';

describe('anchoredRegExp', () => {
  test('anchors at the start but not at the end', () => {
    const regex = anchoredRegExp('/api/v[0-9]+', false);
    assert.ok(regex.test('/api/v1'));
    assert.ok(regex.test('/api/v22/users'));
    assert.ok(!regex.test('/x/api/v1'));
  });

  test('anchors a top-level alternation as a whole', () => {
    const regex = anchoredRegExp('/a|/b', false);
    assert.ok(regex.test('/b/c'));
    assert.ok(!regex.test('/x/b'));
  });

  test('is case-sensitive unless asked otherwise', () => {
    assert.ok(!anchoredRegExp('/api', false).test('/API'));
    assert.ok(anchoredRegExp('/api', true).test('/API'));
  });

  test('throws SyntaxError on an invalid pattern', () => {
    assert.throws(() => anchoredRegExp('/(unclosed', false), SyntaxError);
  });
});

describe('normalizePrefix', () => {
  test('drops one trailing slash and maps the empty prefix to the root', () => {
    assert.equal(normalizePrefix('/foo/'), '/foo');
    assert.equal(normalizePrefix('/foo'), '/foo');
    assert.equal(normalizePrefix('/'), '/');
    assert.equal(normalizePrefix(''), '/');
  });
});

describe('compilePathMatch', () => {
  test('keeps exact paths verbatim, normalises prefixes and compiles regexes', () => {
    assert.deepEqual(compilePathMatch({ type: 'Exact', path: '/foo/' }), { type: 'Exact', path: '/foo/' });
    assert.deepEqual(compilePathMatch({ type: 'Prefix', path: '/foo/' }), { type: 'Prefix', path: '/foo' });
    const compiled = compilePathMatch({ type: 'RegularExpression', pattern: '/x+', caseInsensitive: true });
    assert.equal(compiled.type, 'RegularExpression');
    assert.ok(compiled.type === 'RegularExpression' && compiled.regex.test('/XX'));
  });
});
