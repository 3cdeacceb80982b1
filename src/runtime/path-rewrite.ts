import type { PathRewrite } from '../ir/types.js';
import { anchoredRegExp } from '../router/path-match.js';

/**
 * A compiled IR `PathRewrite` with nginx `rewrite` semantics
 * (https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#rewrite):
 * - the pattern is anchored at the start of the path (flag `i` when case-insensitive) and compiled once;
 * - `$1`…`$9` in the replacement become the capture groups, `''` for a group that did not take part;
 * - the original query string is kept: appended as received, or, when the replacement carries its own query,
 *   appended to it after `&`; a replacement ending in `?` drops the original query (the `?` itself is removed).
 */
export class PathRewriter {
  readonly #regex: RegExp;
  /** Literal strings and capture-group numbers, in order. */
  readonly #parts: readonly (string | number)[];
  readonly #hasQuery: boolean;
  readonly #dropQuery: boolean;

  /** Throws `SyntaxError` when the pattern does not compile. */
  constructor(rewrite: PathRewrite) {
    this.#regex = anchoredRegExp(rewrite.pattern, rewrite.caseInsensitive);
    this.#dropQuery = rewrite.replacement.endsWith('?');
    const template = this.#dropQuery ? rewrite.replacement.slice(0, -1) : rewrite.replacement;
    const parts: (string | number)[] = [];
    let literal = '';
    for (let i = 0; i < template.length; i++) {
      const next = template.charCodeAt(i + 1);
      // nginx captures are single digits: `$10` is `$1` followed by `0`; any other `$` stays literal.
      if (template[i] === '$' && next >= 0x31 && next <= 0x39) {
        if (literal !== '') parts.push(literal);
        literal = '';
        parts.push(next - 0x30);
        i++;
      } else {
        literal += template[i];
      }
    }
    if (literal !== '') parts.push(literal);
    this.#parts = parts;
    // nginx decides at configuration time whether the replacement sets arguments: a `?` in its literal text.
    this.#hasQuery = parts.some((part) => typeof part === 'string' && part.includes('?'));
  }

  /**
   * The rewritten request target for `target` (path and query as received) whose path is `path`; `target`
   * itself when the pattern does not match.
   */
  apply(target: string, path: string): string {
    const groups = this.#regex.exec(path);
    if (groups === null) return target;
    let result = '';
    const parts = this.#parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string | number;
      result += typeof part === 'string' ? part : (groups[part] ?? '');
    }
    if (this.#dropQuery) return result;
    const query = target.indexOf('?');
    if (query < 0) return result;
    if (!this.#hasQuery) return result + target.slice(query);
    return query + 1 < target.length ? `${result}&${target.slice(query + 1)}` : result;
  }
}
