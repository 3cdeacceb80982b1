import pino, { type Logger as PinoLogger } from 'pino';

/** The structured logger every module receives by injection (never imported as a singleton). */
export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** `json`: one JSON object per line, for collectors. `pretty`: `time LEVEL msg key=value…`, for terminals. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Where lines go; standard output (written synchronously, so nothing is lost on exit) when absent. */
  readonly destination?: NodeJS.WritableStream | undefined;
}

/** Anything pino can write a finished line to. */
interface LineSink {
  write(line: string): unknown;
}

/**
 * Paths whose values never reach a log line. fast-redact's `*` spans exactly one level, so each secret is listed
 * at the top level and one level down (`{ certificate: { keyPem } }`, `{ headers: { authorization } }`).
 */
const REDACT_PATHS = [
  'keyPem',
  'certPem',
  'password',
  'token',
  'authorization',
  '*.keyPem',
  '*.certPem',
  '*.password',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
];

const REDACTED = '[redacted]';

export function createLogger(options: LoggerOptions): Logger {
  const sink: LineSink = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Level names rather than numbers: readable in `kubectl logs` and understood by Loki/Elastic as they are.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.format === 'pretty' ? new PrettyLineWriter(sink) : sink,
  );
}

/** Keys the pretty line prints in fixed positions or leaves out as noise on a terminal. */
const POSITIONAL_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

/**
 * Rewrites pino's (already redacted) JSON lines as `2024-05-01T10:00:00.000Z INFO  message key=value …`, with an
 * error's stack on the following lines. Synchronous: one `write` in, one `write` out.
 */
class PrettyLineWriter implements LineSink {
  readonly #sink: LineSink;

  constructor(sink: LineSink) {
    this.#sink = sink;
  }

  write(line: string): void {
    this.#sink.write(formatPrettyLine(line));
  }
}

/** One pino JSON line in its pretty form; anything unparsable passes through unchanged. */
function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString() : String(record.time ?? '');
  const level = String(record.level ?? '').toUpperCase();
  let out = `${time} ${level.padEnd(5)} ${typeof record.msg === 'string' ? record.msg : ''}`;
  let stack = '';
  for (const key in record) {
    if (POSITIONAL_KEYS.has(key)) continue;
    const value = record[key];
    if (key === 'err' && isErrorLike(value)) {
      out += ` err=${formatValue(value.message)}`;
      stack = `\n    ${value.stack.split('\n').join('\n    ')}`;
      continue;
    }
    out += ` ${key}=${formatValue(value)}`;
  }
  return `${out}${stack}\n`;
}

function isErrorLike(value: unknown): value is { message: unknown; stack: string } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { stack?: unknown }).stack === 'string'
  );
}

const BARE_VALUE = /^[^\s"=]+$/;

/** Bare when unambiguous, JSON otherwise, so `key=value` pairs split on spaces without surprises. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return BARE_VALUE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
