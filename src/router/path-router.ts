import type { CompiledPathMatch } from './path-match.js';

/** One route as the router sees it: a matcher and the value to return when it wins. */
export interface PathRouteEntry<T> {
  readonly match: CompiledPathMatch;
  readonly value: T;
}

interface PrefixEntry {
  readonly index: number;
  readonly path: string;
}

interface RegexEntry {
  readonly index: number;
  readonly regex: RegExp;
}

const SLASH = 0x2f;
const NONE = 0x7fffffff;
// FNV-1a 32-bit, the same function as core/hash `fnv1a32`, computed incrementally over the path. Keys are masked
// to 30 bits so that they stay small integers (V8 Smis) and Map lookups with them never allocate a heap number.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const KEY_MASK = 0x3fffffff;

/** The Map key of a normalised prefix (exported for tests that construct hash collisions). */
export function prefixKey(prefix: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < prefix.length; i++) {
    hash ^= prefix.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash & KEY_MASK;
}

/**
 * First-match path routing over routes in precedence order (the IR order): the result is exactly that of testing
 * every route in order and returning the first that matches, computed without visiting most of them.
 *
 * - Exact routes: a Map from path to the lowest route index with that path.
 * - Prefix routes: a Map from a hash of the prefix to its entries. A prefix can only match at an element
 *   boundary of the path (a `/` or the end), so one pass over the path, hashing incrementally, looks up the
 *   candidates for each of its ancestors (`/a`, `/a/b`, …) and confirms them with `startsWith` and a length
 *   check (hash collisions are harmless). The root prefix `/` matches every path and is a single number.
 * - Regular expressions: tested in route order, only those ranked before the best candidate found so far.
 *
 * `match` costs O(1) for the exact lookup, O(min(L, P)) for the prefix pass (L the path length, P the longest
 * prefix) plus one Map lookup per path element, plus one `RegExp#test` per regex ranked ahead of the winner. It
 * is independent of the number of Exact and Prefix routes and allocates nothing for Exact and Prefix hits.
 */
export class PathRouter<T> {
  readonly #values: readonly T[];
  readonly #exact = new Map<string, number>();
  readonly #prefixes = new Map<number, PrefixEntry[]>();
  readonly #maxPrefixLength: number;
  readonly #root: number;
  readonly #regexes: readonly RegexEntry[];

  constructor(entries: readonly PathRouteEntry<T>[]) {
    const values: T[] = [];
    const regexes: RegexEntry[] = [];
    let root = NONE;
    let maxPrefixLength = 0;
    for (const [index, entry] of entries.entries()) {
      values.push(entry.value);
      const match = entry.match;
      switch (match.type) {
        case 'Exact':
          if (!this.#exact.has(match.path)) this.#exact.set(match.path, index);
          break;
        case 'Prefix': {
          if (match.path === '/') {
            if (root === NONE) root = index;
            break;
          }
          const key = prefixKey(match.path);
          const bucket = this.#prefixes.get(key);
          // Entries are appended in route order, so every bucket is sorted by index.
          if (bucket === undefined) this.#prefixes.set(key, [{ index, path: match.path }]);
          else bucket.push({ index, path: match.path });
          if (match.path.length > maxPrefixLength) maxPrefixLength = match.path.length;
          break;
        }
        case 'RegularExpression':
          regexes.push({ index, regex: match.regex });
          break;
      }
    }
    this.#values = values;
    this.#root = root;
    this.#maxPrefixLength = maxPrefixLength;
    this.#regexes = regexes;
  }

  /** The value of the first route in precedence order that matches `path` (no query string), or null. */
  match(path: string): T | null {
    let best = this.#exact.get(path) ?? NONE;
    if (this.#root < best) best = this.#root;
    if (this.#maxPrefixLength > 0) best = this.#bestPrefix(path, best);
    const regexes = this.#regexes;
    for (let i = 0; i < regexes.length; i++) {
      const entry = regexes[i] as RegexEntry;
      if (entry.index >= best) break;
      if (entry.regex.test(path)) {
        best = entry.index;
        break;
      }
    }
    return best === NONE ? null : (this.#values[best] as T);
  }

  /** The lowest index below `best` among prefixes matching `path`, else `best`. */
  #bestPrefix(path: string, best: number): number {
    const length = path.length;
    const limit = Math.min(length, this.#maxPrefixLength);
    let hash = FNV_OFFSET;
    for (let i = 0; i <= limit; i++) {
      const boundary = i === length || path.charCodeAt(i) === SLASH;
      if (boundary && i > 0) {
        // The candidates for the ancestor path[0, i).
        const bucket = this.#prefixes.get(hash & KEY_MASK);
        if (bucket !== undefined) {
          for (let j = 0; j < bucket.length; j++) {
            const entry = bucket[j] as PrefixEntry;
            if (entry.index >= best) break;
            if (entry.path.length === i && path.startsWith(entry.path)) {
              best = entry.index;
              break;
            }
          }
        }
      }
      if (i < length) {
        hash ^= path.charCodeAt(i);
        hash = Math.imul(hash, FNV_PRIME);
      }
    }
    return best;
  }
}
