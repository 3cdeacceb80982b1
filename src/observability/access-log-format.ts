/**
 * The two access log line formats. They run when a batch is flushed, after the responses went out, never on
 * the request path itself.
 */

/** What one access line is made of; `AccessLog` reads it from the data plane's per-request object. */
export interface AccessLogSource {
  readonly req: {
    readonly method?: string | undefined;
    readonly httpVersion: string;
    readonly rawHeaders: readonly string[];
    readonly socket: { readonly remoteAddress?: string | undefined };
  };
  /** The client as the gateway believes it (trusted forwarded headers applied); `''` when not known yet. */
  readonly clientAddress: string;
  /** The Host header as received. */
  readonly hostHeader: string;
  /** Path and query as received. */
  readonly target: string;
  readonly routeName: string;
  readonly backendName: string;
  /** The upstream endpoint chosen; null when the request never reached one. */
  readonly endpoint: { readonly address: string; readonly port: number } | null;
  /** Response body bytes relayed from the upstream. */
  readonly responseBytes: number;
  /** Seconds from the upstream dispatch to the end of its response; -1 when no upstream answered. */
  readonly upstreamSeconds: number;
  /** W3C trace id when tracing is on, else `''`. */
  readonly traceId: string;
  /** Upstream attempts repeated after a failure, when the data plane retries. */
  readonly retries?: number | undefined;
}

/** One finished request as `AccessLog` recorded it. */
export interface AccessLogEntry {
  readonly source: AccessLogSource;
  readonly entryPoint: string;
  readonly status: number;
  readonly seconds: number;
  /** Wall-clock milliseconds at the end of the request. */
  readonly timeMs: number;
}

/**
 * One JSON object: time, clientIp, method, host, path, protocol, status, bytes, duration (seconds),
 * upstreamAddress, upstreamDuration, entryPoint, route, service, retries, traceId, userAgent, referer.
 */
export function formatJsonLine(entry: AccessLogEntry): string {
  const { source, entryPoint, status, seconds, timeMs } = entry;
  const endpoint = source.endpoint;
  return `{"time":"${new Date(timeMs).toISOString()}","clientIp":${JSON.stringify(clientOf(source))},"method":${JSON.stringify(
    source.req.method ?? '',
  )},"host":${JSON.stringify(source.hostHeader)},"path":${JSON.stringify(source.target)},"protocol":"HTTP/${
    source.req.httpVersion
  }","status":${status},"bytes":${source.responseBytes},"duration":${round(seconds)},"upstreamAddress":${
    endpoint === null ? 'null' : JSON.stringify(hostPort(endpoint.address, endpoint.port))
  },"upstreamDuration":${source.upstreamSeconds < 0 ? 'null' : round(source.upstreamSeconds)},"entryPoint":${JSON.stringify(
    entryPoint,
  )},"route":${JSON.stringify(source.routeName)},"service":${JSON.stringify(source.backendName)},"retries":${
    source.retries ?? 0
  },"traceId":${source.traceId === '' ? 'null' : `"${source.traceId}"`},"userAgent":${jsonOrNull(
    header(source.req.rawHeaders, 'user-agent'),
  )},"referer":${jsonOrNull(header(source.req.rawHeaders, 'referer'))}}\n`;
}

/**
 * nginx's predefined `combined` format:
 * `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
 * with `$time_local` in UTC and strings escaped as nginx escapes them (`"` and `\` and bytes outside printable
 * ASCII as `\xHH`), so a hostile header cannot forge a line.
 */
export function formatCombinedLine(entry: AccessLogEntry): string {
  const { source, status, timeMs } = entry;
  const request = `${source.req.method ?? '-'} ${source.target} HTTP/${source.req.httpVersion}`;
  return `${escapeNginx(clientOf(source))} - - [${timeLocal(timeMs)}] "${escapeNginx(request)}" ${status} ${
    source.responseBytes
  } "${escapeNginx(header(source.req.rawHeaders, 'referer') ?? '-')}" "${escapeNginx(
    header(source.req.rawHeaders, 'user-agent') ?? '-',
  )}"\n`;
}

function clientOf(source: AccessLogSource): string {
  return source.clientAddress !== '' ? source.clientAddress : (source.req.socket.remoteAddress ?? '-');
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Microsecond precision is all a log reader needs; it keeps lines short. */
function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

function jsonOrNull(value: string | undefined): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** The first value of a header in Node's flat raw array (names as sent, compared case-insensitively). */
function header(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `10/Oct/2000:13:55:36 +0000`. */
function timeLocal(timeMs: number): string {
  const d = new Date(timeMs);
  const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const NGINX_UNSAFE = /["\\\x00-\x1f\x7f-\uffff]/g;

/** nginx `ngx_escape_str` for log variables: `"`, `\`, control and non-ASCII characters become `\xHH`. */
function escapeNginx(text: string): string {
  return text.replace(NGINX_UNSAFE, (ch) => {
    const bytes = Buffer.from(ch, 'utf8');
    let out = '';
    for (const byte of bytes) out += `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    return out;
  });
}
