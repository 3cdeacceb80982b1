import { fnv1a32 } from '../core/hash.js';
import type { HashKeyPart } from '../ir/types.js';
import type { PickRequest } from '../runtime/table.js';
import { cookieValue } from './cookies.js';

/**
 * MurmurHash3's 32-bit finaliser over FNV-1a: FNV alone spreads similar strings (`…|10.0.0.1:80#1`, `#2`) poorly
 * in the high bits that ring positions and table slots depend on; the finaliser gives full avalanche. Seedless,
 * so every process and replica computes the same value.
 */
export function stableHash(input: string, seed?: number): number {
  let h = fnv1a32(input, seed);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The consistent-hash key of a request from `upstream-hash-by` parts. One part returns its value without
 * allocating (the common `$remote_addr` or `$http_x_user`); several are concatenated. A missing header, cookie
 * or argument counts as empty, as an unset nginx variable does.
 */
export function hashKeyOf(parts: readonly HashKeyPart[], request: PickRequest): string {
  if (parts.length === 1) return partValue(parts[0] as HashKeyPart, request);
  let key = '';
  for (let i = 0; i < parts.length; i++) key += partValue(parts[i] as HashKeyPart, request);
  return key;
}

function partValue(part: HashKeyPart, request: PickRequest): string {
  switch (part.type) {
    case 'client-ip':
      return request.clientAddress;
    case 'path':
      return request.path;
    case 'request-uri':
      return request.target;
    case 'literal':
      return part.value;
    case 'header': {
      const value = request.headers[part.name];
      if (value === undefined) return '';
      return typeof value === 'string' ? value : value.join(', ');
    }
    case 'cookie':
      return cookieValue(request.headers.cookie, part.name) ?? '';
    case 'query':
      return queryValue(request.target, part.name);
  }
}

/** nginx `$arg_<name>`: the first `name=value` of the query string, undecoded; '' when absent. */
function queryValue(target: string, name: string): string {
  const query = target.indexOf('?');
  if (query < 0) return '';
  let at = query + 1;
  while (at < target.length) {
    let end = target.indexOf('&', at);
    if (end < 0) end = target.length;
    if (
      end - at > name.length &&
      target.charCodeAt(at + name.length) === 61 /* = */ &&
      target.startsWith(name, at)
    ) {
      return target.slice(at + name.length + 1, end);
    }
    at = end + 1;
  }
  return '';
}
