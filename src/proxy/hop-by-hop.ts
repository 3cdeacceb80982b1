/**
 * Hop-by-hop header handling (RFC 9110 §7.6.1): headers that describe one connection, not the message, and must
 * not be forwarded by a proxy — the fixed list below plus every header named in `Connection`.
 */

/** The fixed hop-by-hop names, lower-case. `Proxy-Connection` is the pre-standard variant clients still send. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Connection options that are not header names (RFC 9112 §9.6 `close`, §9.3 `keep-alive`, RFC 9110 §7.8
 * `upgrade`): already hop-by-hop, so they never need a second removal pass.
 */
const CONNECTION_OPTIONS: ReadonlySet<string> = new Set(['close', 'keep-alive', 'upgrade']);

/** Headers a `Connection` token must never remove: without them the message cannot be routed or framed. */
const PROTECTED: ReadonlySet<string> = new Set(['host', 'content-length']);

/** True for the fixed hop-by-hop names; `lowerName` must be lower-case. */
export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/**
 * Adds the header names listed in a `Connection` value to `into` (created on first need, so the common
 * `Connection: keep-alive` allocates nothing) and returns it.
 */
export function connectionTokens(value: string, into: string[] | null): string[] | null {
  let start = 0;
  let out = into;
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length && value.charCodeAt(i) !== 0x2c /* , */) continue;
    const token = value.slice(start, i).trim().toLowerCase();
    start = i + 1;
    if (token === '' || CONNECTION_OPTIONS.has(token) || PROTECTED.has(token)) continue;
    if (out === null) out = [];
    out.push(token);
  }
  return out;
}

/** Removes, in place, every name/value pair of the flat `headers` array whose name is in `names` (lower-case). */
export function removeNamed(headers: string[], names: readonly string[]): void {
  let write = 0;
  for (let read = 0; read < headers.length; read += 2) {
    const name = headers[read] as string;
    if (names.includes(name.toLowerCase())) continue;
    headers[write] = name;
    headers[write + 1] = headers[read + 1] as string;
    write += 2;
  }
  headers.length = write;
}

/**
 * The end-to-end headers of an upstream response, as a flat `[name, value, …]` array for `writeHead`: one pass
 * over undici's raw array, latin1 decoding so that every byte passes through unchanged.
 */
export function endToEndResponseHeaders(raw: readonly (Buffer | string)[]): string[] {
  const out: string[] = [];
  let named: string[] | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i] as Buffer | string);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') named = connectionTokens(latin1(raw[i + 1] as Buffer | string), named);
      continue;
    }
    out.push(name, latin1(raw[i + 1] as Buffer | string));
  }
  if (named !== null) removeNamed(out, named);
  return out;
}

function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}
