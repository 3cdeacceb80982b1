/**
 * Typed gateway errors. Every failure on the request path maps to exactly one status code and one short
 * reason (sent as `x-tidegate-error`), decided here and nowhere else.
 */
export type ErrorReason =
  | 'no-route'
  | 'no-endpoint'
  | 'backend-invalid'
  | 'upstream-connect'
  | 'upstream-reset'
  | 'upstream-timeout'
  | 'body-too-large'
  | 'bad-request'
  | 'client-aborted'
  | 'overflow'
  | 'circuit-open'
  | 'internal';

const STATUS: Readonly<Record<ErrorReason, number>> = {
  'no-route': 404,
  'no-endpoint': 503,
  'backend-invalid': 500,
  'upstream-connect': 502,
  'upstream-reset': 502,
  'upstream-timeout': 504,
  'body-too-large': 413,
  'bad-request': 400,
  // nginx's convention for "client closed request"; never sent, only logged and counted.
  'client-aborted': 499,
  overflow: 503,
  // The backend's trip breaker is open (or its half-open probe is out): fail fast, as Traefik answers 503.
  'circuit-open': 503,
  internal: 500,
};

export function statusForReason(reason: ErrorReason): number {
  return STATUS[reason];
}

export class GatewayError extends Error {
  readonly reason: ErrorReason;
  readonly status: number;
  /** True when a retry on another endpoint may succeed (nothing reached the upstream application). */
  readonly retryable: boolean;

  constructor(reason: ErrorReason, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.reason = reason;
    this.status = STATUS[reason];
    this.retryable = options?.retryable ?? false;
  }
}

/** A configuration or input problem, located by file/line when known and by field path always. */
export class ConfigError extends Error {
  readonly field: string;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(
    message: string,
    location: { field: string; file?: string | undefined; line?: number | undefined },
  ) {
    const where = location.file ? `${location.file}${location.line ? `:${location.line}` : ''}: ` : '';
    super(`${where}${location.field ? `${location.field}: ` : ''}${message}`);
    this.name = 'ConfigError';
    this.field = location.field;
    this.file = location.file;
    this.line = location.line;
  }
}
