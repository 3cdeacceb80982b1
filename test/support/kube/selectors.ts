/**
 * Label and field selectors as the API server evaluates them (equality-based: `k=v`, `k==v`, `k!=v`, and for
 * labels also the existence forms `k` and `!k`). Set-based label selectors (`k in (a,b)`) are not needed by
 * tidegate's provider and are refused with 400, as a real server refuses what it cannot parse.
 */

type Requirement =
  | { readonly op: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly op: 'exists' | 'absent'; readonly key: string };

/** A compiled selector: `matches` takes the lookup of a key on one object. */
export interface Selector {
  matches(lookup: (key: string) => string | undefined): boolean;
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

/** Throws a RangeError (turned into 400 BadRequest) for syntax the selector grammar does not have. */
export function parseSelector(text: string | null, allowExistence: boolean): Selector {
  const requirements: Requirement[] = [];
  for (const raw of (text ?? '').split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (match) {
      const key = (match[1] as string).trim();
      if (!KEY.test(key)) throw new RangeError(`invalid selector key "${key}"`);
      requirements.push({ op: match[2] === '!=' ? 'ne' : 'eq', key, value: (match[3] as string).trim() });
    } else if (allowExistence && KEY.test(part.replace(/^!/, ''))) {
      requirements.push(
        part.startsWith('!') ? { op: 'absent', key: part.slice(1) } : { op: 'exists', key: part },
      );
    } else throw new RangeError(`unable to parse requirement "${part}"`);
  }
  return {
    matches(lookup) {
      return requirements.every((r) => {
        const value = lookup(r.key);
        switch (r.op) {
          case 'eq':
            return value === r.value;
          case 'ne':
            return value !== r.value;
          case 'exists':
            return value !== undefined;
          // 'absent'
          default:
            return value === undefined;
        }
      });
    },
  };
}

/** The field lookup of a field selector: a dotted path (`metadata.name`, `type`, `spec.nodeName`) into the object. */
export function fieldOf(object: unknown, path: string): string | undefined {
  let node: unknown = object;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' ? node : undefined;
}
