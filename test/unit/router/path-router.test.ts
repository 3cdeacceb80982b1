import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePathMatch, type PathMatchSpec } from '../../../src/router/path-match.js';
import { PathRouter, prefixKey } from '../../../src/router/path-router.js';
import { seeded } from '../../support/seeded-random.js';

function router(specs: readonly PathMatchSpec[]): PathRouter<number> {
  return new PathRouter(specs.map((spec, index) => ({ match: compilePathMatch(spec), value: index })));
}

/** One route's test, written independently of the router. */
function naiveMatcher(spec: PathMatchSpec): (path: string) => boolean {
  switch (spec.type) {
    case 'Exact':
      return (path) => path === spec.path;
    case 'Prefix': {
      const prefix = spec.path.endsWith('/') ? spec.path.slice(0, -1) : spec.path;
      if (prefix === '') return () => true;
      return (path) => path === prefix || path.startsWith(`${prefix}/`);
    }
    case 'RegularExpression': {
      const regex = new RegExp(`^(?:${spec.pattern})`, spec.caseInsensitive ? 'i' : '');
      return (path) => regex.test(path);
    }
  }
}

/** The specification: test every route in order, first match wins. */
function naiveRouter(specs: readonly PathMatchSpec[]): (path: string) => number | null {
  const tests = specs.map(naiveMatcher);
  return (path) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]?.(path)) return i;
    return null;
  };
}

describe('PathRouter matchers', () => {
  test('Exact is whole-string equality, case-sensitive', () => {
    const r = router([{ type: 'Exact', path: '/foo' }]);
    assert.equal(r.match('/foo'), 0);
    assert.equal(r.match('/foo/'), null);
    assert.equal(r.match('/Foo'), null);
    assert.equal(r.match('/foo/bar'), null);
  });

  test('Prefix matches element-wise', () => {
    const r = router([{ type: 'Prefix', path: '/foo' }]);
    assert.equal(r.match('/foo'), 0);
    assert.equal(r.match('/foo/'), 0);
    assert.equal(r.match('/foo/bar'), 0);
    assert.equal(r.match('/foobar'), null);
    assert.equal(r.match('/fo'), null);
    assert.equal(r.match('/'), null);
  });

  test('a Prefix with a trailing slash behaves as without it', () => {
    const r = router([{ type: 'Prefix', path: '/foo/' }]);
    assert.equal(r.match('/foo'), 0);
    assert.equal(r.match('/foo/x'), 0);
    assert.equal(r.match('/foox'), null);
  });

  test('the root prefix matches every path', () => {
    const r = router([{ type: 'Prefix', path: '/' }]);
    for (const path of ['/', '/a', '/a/b/', '//', '*']) assert.equal(r.match(path), 0, path);
  });

  test('RegularExpression is anchored at the start and honours case-insensitivity', () => {
    const r = router([
      { type: 'RegularExpression', pattern: '/api/v[0-9]+', caseInsensitive: false },
      { type: 'RegularExpression', pattern: '/img/.*\\.png$', caseInsensitive: true },
    ]);
    assert.equal(r.match('/api/v2/users'), 0);
    assert.equal(r.match('/x/api/v2'), null);
    assert.equal(r.match('/API/v2'), null);
    assert.equal(r.match('/IMG/a/B.PNG'), 1);
    assert.equal(r.match('/img/b.png.txt'), null);
  });

  test('an empty router matches nothing', () => {
    assert.equal(router([]).match('/'), null);
  });
});

describe('PathRouter precedence is the given order', () => {
  test('an earlier regex beats a later exact and prefix', () => {
    const r = router([
      { type: 'RegularExpression', pattern: '/a', caseInsensitive: false },
      { type: 'Exact', path: '/a/b' },
      { type: 'Prefix', path: '/a' },
    ]);
    assert.equal(r.match('/a/b'), 0);
  });

  test('an earlier exact beats a later regex; a later regex beats nothing matched earlier', () => {
    const r = router([
      { type: 'Exact', path: '/a/b' },
      { type: 'Prefix', path: '/a/c' },
      { type: 'RegularExpression', pattern: '/a', caseInsensitive: false },
      { type: 'Prefix', path: '/' },
    ]);
    assert.equal(r.match('/a/b'), 0);
    assert.equal(r.match('/a/c/d'), 1);
    assert.equal(r.match('/a/x'), 2);
    assert.equal(r.match('/z'), 3);
  });

  test('a shorter prefix listed first beats a longer one listed later', () => {
    const r = router([
      { type: 'Prefix', path: '/a' },
      { type: 'Prefix', path: '/a/b' },
    ]);
    assert.equal(r.match('/a/b/c'), 0);
  });

  test('a root prefix listed first shadows everything after it', () => {
    const r = router([
      { type: 'Prefix', path: '/' },
      { type: 'Exact', path: '/x' },
    ]);
    assert.equal(r.match('/x'), 0);
  });

  test('duplicates: the first of equal matchers wins', () => {
    const r = router([
      { type: 'Exact', path: '/x' },
      { type: 'Exact', path: '/x' },
      { type: 'Prefix', path: '/y' },
      { type: 'Prefix', path: '/y/' },
    ]);
    assert.equal(r.match('/x'), 0);
    assert.equal(r.match('/y/z'), 2);
  });

  test('prefixes whose keys collide are told apart', () => {
    // Birthday search for two prefixes with the same 30-bit key (about 2^15 candidates on average).
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const prefix = `/c${i}`;
      const key = prefixKey(prefix);
      const other = seen.get(key);
      if (other !== undefined) pair = [other, prefix];
      else seen.set(key, prefix);
    }
    const [first, second] = pair;
    const r = router([
      { type: 'Prefix', path: first },
      { type: 'Prefix', path: second },
    ]);
    assert.equal(r.match(`${first}/x`), 0);
    assert.equal(r.match(`${second}/x`), 1);
    assert.equal(r.match(second), 1);
    const reversed = router([
      { type: 'Prefix', path: second },
      { type: 'Prefix', path: first },
    ]);
    assert.equal(reversed.match(first), 1);
    assert.equal(reversed.match(`${second}/y`), 0);
  });
});

describe('PathRouter agrees with the naive first-match reference', () => {
  const segments = ['a', 'ab', 'api', 'v1', 'v2', 'users', 'x', 'static', 'img', 'A'];

  function randomPath(random: () => number, maxDepth: number): string {
    const depth = Math.floor(random() * (maxDepth + 1));
    let path = '';
    for (let i = 0; i < depth; i++) path += `/${segments[Math.floor(random() * segments.length)]}`;
    const tail = random();
    if (path === '' || tail < 0.1) return `${path}/`;
    if (tail < 0.15) return `${path}/v${Math.floor(random() * 100)}`;
    if (tail < 0.2) return `${path}.png`;
    if (tail < 0.23) return `${path}x`;
    return path;
  }

  function randomSpec(random: () => number): PathMatchSpec {
    const kind = random();
    if (kind < 0.04) {
      const a = segments[Math.floor(random() * segments.length)];
      const b = segments[Math.floor(random() * segments.length)];
      const patterns = [`/${a}/v[0-9]+`, `/${a}(/|$)`, `/(${a}|${b})/.*\\.png`, `/${a}/${b}$`, `.*/${b}`];
      const pattern = patterns[Math.floor(random() * patterns.length)] as string;
      return { type: 'RegularExpression', pattern, caseInsensitive: random() < 0.5 };
    }
    const path = randomPath(random, 4);
    if (kind < 0.5) return { type: 'Exact', path };
    // Mostly normalised prefixes, as the IR promises, some with a trailing slash.
    return {
      type: 'Prefix',
      path: path !== '/' && path.endsWith('/') && random() < 0.5 ? path.slice(0, -1) : path,
    };
  }

  for (const [name, seed, withRoot] of [
    ['without a root prefix', 42, false],
    ['with a root prefix somewhere in the middle', 7, true],
  ] as const) {
    test(`5,000 routes, 4,000 paths, ${name}`, () => {
      const random = seeded(seed);
      // Random prefixes include `/`; keep exactly one where the case wants it, none otherwise.
      const routes: PathMatchSpec[] = [];
      while (routes.length < 5000) {
        const spec = randomSpec(random);
        if (spec.type !== 'Prefix' || spec.path !== '/') routes.push(spec);
      }
      if (withRoot) routes.splice(2500, 1, { type: 'Prefix', path: '/' });
      const fast = router(routes);
      const naive = naiveRouter(routes);
      const winners = { Exact: 0, Prefix: 0, RegularExpression: 0, none: 0 };
      for (let i = 0; i < 4000; i++) {
        // A first segment no route knows, so that "no match" is a possible outcome too.
        const path = random() < 0.1 ? `/zz${randomPath(random, 3)}` : randomPath(random, 5);
        const expected = naive(path);
        assert.equal(fast.match(path), expected, `path ${path}`);
        if (expected === null) winners.none++;
        else winners[(routes[expected] as PathMatchSpec).type]++;
      }
      // The comparison only means something if every kind of outcome occurred.
      for (const [kind, count] of Object.entries(winners)) {
        if (kind === 'none' && withRoot) assert.equal(count, 0);
        else assert.ok(count > 20, `${kind} won only ${count} times`);
      }
    });
  }
});
