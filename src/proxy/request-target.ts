/**
 * Request-target and Host parsing for routing. Everything here runs once per request: no regexes, and the
 * common case (an origin-form target without dot segments, a lower-case host) allocates nothing.
 */

/** Where `parseRequestTarget` writes its result (the proxy's per-request object). */
export interface ParsedTarget {
  /** Authority of an absolute-form target (`host[:port]`), or null for origin-form. */
  authority: string | null;
  /** Normalised path, without query: what routing sees. */
  path: string;
  /** Normalised path plus the query as received: what is forwarded. */
  target: string;
}

/**
 * Parses a request-target (RFC 9112 §3.2). Origin-form (`/path?query`) and absolute-form
 * (`http://host/path?query`, §3.2.2: the authority then replaces Host) are accepted; asterisk-form,
 * authority-form and anything else return false (the caller answers 400). Dot segments are removed from the
 * path (RFC 3986 §5.2.4) so that `/public/../admin` is routed, and forwarded, as `/admin`.
 */
export function parseRequestTarget(url: string, out: ParsedTarget): boolean {
  let start = 0;
  out.authority = null;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = schemeLength(url);
    if (scheme === 0) return false;
    let end = scheme;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 0x2f || c === 0x3f /* ? */) break;
      end++;
    }
    const authority = url.slice(scheme, end);
    // Userinfo in an http(s) URI is deprecated and a known spoofing vector (RFC 9110 §4.2.4): reject it.
    if (authority === '' || authority.includes('@')) return false;
    out.authority = authority;
    start = end;
  }
  const query = url.indexOf('?', start);
  const rawPath = query < 0 ? url.slice(start) : url.slice(start, query);
  if (rawPath === '') {
    // `http://host` and `http://host?q` mean the path `/` (RFC 9112 §3.2.2).
    out.path = '/';
    out.target = query < 0 ? '/' : `/${url.slice(query)}`;
    return true;
  }
  const path = removeDotSegments(rawPath);
  out.path = path;
  if (start === 0 && path === rawPath) out.target = url;
  else out.target = query < 0 ? path : path + url.slice(query);
  return true;
}

/** Length of a leading `http://` or `https://` (any case), or 0. */
function schemeLength(url: string): number {
  if (url.length > 7 && url.slice(0, 7).toLowerCase() === 'http://') return 7;
  if (url.length > 8 && url.slice(0, 8).toLowerCase() === 'https://') return 8;
  return 0;
}

/**
 * RFC 3986 §5.2.4 `remove_dot_segments` on an absolute path. Percent-encoded dots (`%2e`) count as dots: the
 * upstream may decode them (RFC 3986 §6.2.2.2) and must not see a path that escapes the routed prefix. Returns
 * `path` itself when it has no dot segment.
 */
export function removeDotSegments(path: string): string {
  if (!hasDotSegment(path)) return path;
  const segments = path.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  // segments[0] is the empty string before the leading `/`.
  for (let i = 1; i <= last; i++) {
    const segment = segments[i] as string;
    const dots = dotCount(segment);
    if (dots === 2 && out.length > 0) out.pop();
    if (dots === 0) out.push(segment);
    // `/a/.` and `/a/b/..` end in a directory: keep the trailing slash.
    else if (i === last) out.push('');
  }
  return `/${out.join('/')}`;
}

function hasDotSegment(path: string): boolean {
  for (let i = path.indexOf('/'); i >= 0 && i < path.length; i = path.indexOf('/', i + 1)) {
    const next = path.charCodeAt(i + 1);
    if (next === 0x2e /* . */) {
      if (dotCount(segmentAt(path, i + 1)) > 0) return true;
    } else if (next === 0x25 /* % */ && dotCount(segmentAt(path, i + 1)) > 0) {
      return true;
    }
  }
  return false;
}

function segmentAt(path: string, start: number): string {
  const end = path.indexOf('/', start);
  return end < 0 ? path.slice(start) : path.slice(start, end);
}

/** 1 for `.`, 2 for `..` (each dot possibly written `%2e`/`%2E`), 0 otherwise. */
function dotCount(segment: string): number {
  let dots = 0;
  let i = 0;
  while (i < segment.length) {
    if (segment.charCodeAt(i) === 0x2e) {
      i++;
    } else if (
      segment.charCodeAt(i) === 0x25 &&
      segment.charCodeAt(i + 1) === 0x32 /* 2 */ &&
      (segment.charCodeAt(i + 2) | 0x20) === 0x65 /* e */
    ) {
      i += 3;
    } else {
      return 0;
    }
    dots++;
    if (dots > 2) return 0;
  }
  return dots;
}

/**
 * The routing host of a Host value (or absolute-form authority): port removed (`[::1]:80` keeps its brackets),
 * a trailing dot removed (`example.com.` is the same name, RFC 1034 §3.1), lower-cased only when it has an
 * upper-case letter (RFC 4343).
 */
export function routingHost(value: string): string {
  let end = value.length;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    const close = value.indexOf(']');
    if (close > 0) end = close + 1;
  } else {
    const colon = value.indexOf(':');
    if (colon >= 0) end = colon;
  }
  if (end > 0 && value.charCodeAt(end - 1) === 0x2e) end--;
  const host = end === value.length ? value : value.slice(0, end);
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return host.toLowerCase();
  }
  return host;
}
