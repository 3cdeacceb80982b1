/**
 * Path matchers. `PathMatchSpec` mirrors the IR `PathMatch` structurally (the router depends on nothing but
 * core), and `compilePathMatch` turns it into the form the router evaluates: prefixes normalised, regular
 * expressions compiled once.
 */
export type PathMatchSpec =
  | { readonly type: 'Exact'; readonly path: string }
  | { readonly type: 'Prefix'; readonly path: string }
  | { readonly type: 'RegularExpression'; readonly pattern: string; readonly caseInsensitive: boolean };

export type CompiledPathMatch =
  /** Whole-path string equality, case-sensitive. */
  | { readonly type: 'Exact'; readonly path: string }
  /** Element-wise prefix without a trailing slash; `/` matches every path. */
  | { readonly type: 'Prefix'; readonly path: string }
  /** Anchored at the start of the path. */
  | { readonly type: 'RegularExpression'; readonly regex: RegExp };

/**
 * A RegExp for `pattern` anchored at the start of the input, as ingress-nginx anchors its `location ~*` blocks;
 * flag `i` when case-insensitive. The group `(?:…)` keeps a top-level alternation (`a|b`) anchored as a whole.
 * Throws `SyntaxError` for an invalid pattern.
 */
export function anchoredRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  return new RegExp(`^(?:${pattern})`, caseInsensitive ? 'i' : '');
}

/**
 * The Ingress spec ignores a trailing `/` on a Prefix path (`/foo/` behaves as `/foo`); an empty prefix is the
 * root.
 */
export function normalizePrefix(path: string): string {
  if (path === '' || path === '/') return '/';
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Throws `SyntaxError` when a regular expression does not compile. */
export function compilePathMatch(spec: PathMatchSpec): CompiledPathMatch {
  switch (spec.type) {
    case 'Exact':
      return { type: 'Exact', path: spec.path };
    case 'Prefix':
      return { type: 'Prefix', path: normalizePrefix(spec.path) };
    case 'RegularExpression':
      return { type: 'RegularExpression', regex: anchoredRegExp(spec.pattern, spec.caseInsensitive) };
  }
}
