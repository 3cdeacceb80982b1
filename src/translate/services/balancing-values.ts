import type { HashKeyPart, LoadBalancerPolicy } from '../../ir/types.js';

/** The policy names `load-balance` accepts: ingress-nginx's two and tidegate's others. */
export const LOAD_BALANCE_VALUES = [
  'round_robin',
  'weighted_round_robin',
  'random',
  'least_request',
  'ewma',
  'ring_hash',
  'maglev',
] as const;

export type LoadBalanceName = (typeof LOAD_BALANCE_VALUES)[number];

export function parseLoadBalance(value: string): LoadBalanceName | null {
  const trimmed = value.trim();
  return (LOAD_BALANCE_VALUES as readonly string[]).includes(trimmed) ? (trimmed as LoadBalanceName) : null;
}

/**
 * An ingress-nginx `upstream-hash-by` value: nginx variables and literal text, e.g. `$remote_addr`,
 * `$http_x_user`, `$cookie_id`, `$request_uri`, `$host$uri`. Returns null when a variable is not one tidegate
 * can evaluate (or the value holds no variable at all: a constant key would send everything to one endpoint).
 */
export function parseHashBy(value: string): HashKeyPart[] | null {
  const parts: HashKeyPart[] = [];
  let variables = 0;
  let consumed = 0;
  const pattern = /\$\{?([A-Za-z0-9_]+)\}?|([^$]+)/g;
  for (let m = pattern.exec(value); m !== null; m = pattern.exec(value)) {
    consumed += m[0].length;
    if (m[2] !== undefined) {
      parts.push({ type: 'literal', value: m[2] });
      continue;
    }
    const part = variablePart((m[1] as string).toLowerCase());
    if (part === null) return null;
    parts.push(part);
    variables++;
  }
  // A stray `$` (not followed by a name) matches nothing and leaves characters unconsumed.
  if (variables === 0 || consumed !== value.length) return null;
  return parts;
}

function variablePart(name: string): HashKeyPart | null {
  switch (name) {
    case 'remote_addr':
    case 'binary_remote_addr':
      return { type: 'client-ip' };
    case 'uri':
    case 'document_uri':
      return { type: 'path' };
    case 'request_uri':
      return { type: 'request-uri' };
    case 'host':
      return { type: 'header', name: 'host' };
  }
  // nginx maps `$http_x_user` to header X-User: lower-case, dashes written as underscores.
  if (name.startsWith('http_') && name.length > 5)
    return { type: 'header', name: name.slice(5).replaceAll('_', '-') };
  if (name.startsWith('cookie_') && name.length > 7) return { type: 'cookie', name: name.slice(7) };
  if (name.startsWith('arg_') && name.length > 4) return { type: 'query', name: name.slice(4) };
  return null;
}

/** The IR policy for a `load-balance` name and an optional hash key (`upstream-hash-by`). */
export function loadBalancerPolicy(
  name: LoadBalanceName,
  hashBy: readonly HashKeyPart[] | null,
): LoadBalancerPolicy {
  // ingress-nginx: `upstream-hash-by` turns consistent hashing on whatever `load-balance` says; maglev is ours.
  if (hashBy !== null) return { type: name === 'maglev' ? 'maglev' : 'ring_hash', hashBy };
  switch (name) {
    case 'ring_hash':
    case 'maglev':
      // Without a key, hash the client address (ingress-nginx's most common `upstream-hash-by`).
      return { type: name, hashBy: [{ type: 'client-ip' }] };
    default:
      return { type: name };
  }
}
