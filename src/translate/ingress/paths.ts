import type { PathMatch } from '../../ir/types.js';

export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export type PathCheck =
  | {
      readonly ok: true;
      readonly match: PathMatch;
      /** The pattern a `rewrite-target` rewrite uses for this path: the regex itself, or the path escaped. */
      readonly rewritePattern: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Sequences and suffixes the API server refuses in Exact and Prefix paths (networking validation). */
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'] as const;
const INVALID_SUFFIXES = ['/..', '/.'] as const;

/**
 * Turns one Ingress path into a match.
 * - Exact and Prefix paths must be absolute and free of the sequences the API server refuses. A Prefix path
 *   that is empty means `/`, and its trailing `/` is dropped (`/foo/` ≡ `/foo`, as the Ingress spec says).
 * - ImplementationSpecific paths are regular expressions matched case-insensitively, as ingress-nginx writes
 *   them into `location ~*` blocks.
 * - With `use-regex` every path of the Ingress is such a regular expression (ingress-nginx's behaviour).
 * A regular expression that does not compile rejects the path.
 */
export function checkPath(pathType: IngressPathType, path: string | undefined, useRegex: boolean): PathCheck {
  const raw = path ?? '';
  if (pathType === 'ImplementationSpecific') {
    if (raw !== '' && !raw.startsWith('/')) return mustBeAbsolute(raw);
    return regex(raw === '' ? '/' : raw);
  }
  if (raw === '' && pathType === 'Exact') return { ok: false, reason: 'an Exact path must not be empty' };
  const value = raw === '' ? '/' : raw;
  if (!value.startsWith('/')) return mustBeAbsolute(value);
  for (const sequence of INVALID_SEQUENCES) {
    if (value.includes(sequence)) {
      return {
        ok: false,
        reason: `path ${JSON.stringify(value)} must not contain ${JSON.stringify(sequence)}`,
      };
    }
  }
  for (const suffix of INVALID_SUFFIXES) {
    if (value.endsWith(suffix)) {
      return {
        ok: false,
        reason: `path ${JSON.stringify(value)} must not end with ${JSON.stringify(suffix)}`,
      };
    }
  }
  if (useRegex) return regex(value);
  if (pathType === 'Exact')
    return { ok: true, match: { type: 'Exact', path: value }, rewritePattern: escapeRegex(value) };
  const prefix = value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
  return { ok: true, match: { type: 'Prefix', path: prefix }, rewritePattern: escapeRegex(prefix) };
}

function mustBeAbsolute(path: string): PathCheck {
  return { ok: false, reason: `path ${JSON.stringify(path)} must be an absolute path (start with "/")` };
}

function regex(pattern: string): PathCheck {
  try {
    // Compiled only to validate; the router compiles its own copy once per table.
    new RegExp(pattern, 'i');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `path ${JSON.stringify(pattern)} is not a valid regular expression: ${detail}`,
    };
  }
  return {
    ok: true,
    match: { type: 'RegularExpression', pattern, caseInsensitive: true },
    rewritePattern: pattern,
  };
}

/** Escapes regular-expression syntax so that a literal path can serve as a rewrite pattern. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
