import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorReason, GatewayError, statusForReason } from '../core/errors.js';

/**
 * The reason for an upstream failure, from undici's and Node's error codes: failures before a connection
 * existed are `upstream-connect` (502), idle timeouts waiting for the head or body `upstream-timeout` (504),
 * anything else on an established connection `upstream-reset` (502).
 */
export function reasonForUpstreamError(error: unknown): ErrorReason {
  if (error instanceof GatewayError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'upstream-reset';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'ENODATA':
      return 'upstream-connect';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'upstream-timeout';
    default:
      // A failed TLS handshake is a connect failure too (nginx logs it as such and answers 502).
      return code.startsWith('ERR_SSL_') || code === 'EPROTO' ? 'upstream-connect' : 'upstream-reset';
  }
}

/** Reasons after which the connection is closed: the client may still be sending a body we will not read. */
function closesConnection(reason: ErrorReason): boolean {
  return reason === 'body-too-large' || reason === 'bad-request';
}

/** Bodies for the default status of every reason, built once: `404 no route\n`. */
const BODIES = new Map<string, Buffer>();

function bodyFor(status: number, reason: ErrorReason): Buffer {
  const key = `${status} ${reason}`;
  let body = BODIES.get(key);
  if (body === undefined) {
    body = Buffer.from(`${status} ${reason.replaceAll('-', ' ')}\n`, 'latin1');
    // Statuses other than a reason's default only come from route configuration: a bounded set.
    BODIES.set(key, body);
  }
  return body;
}

/**
 * Answers a request with the gateway's error response: a short `text/plain` body, `x-tidegate-error: <reason>`
 * and a content-length. Only call before anything was written (`res.headersSent` false).
 */
export function sendErrorResponse(
  res: ServerResponse,
  reason: ErrorReason,
  status: number = statusForReason(reason),
): void {
  const body = bodyFor(status, reason);
  const headers = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(body.length),
    'x-tidegate-error',
    reason,
  ];
  if (closesConnection(reason)) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(body);
}

/** The same error response written on a raw socket (upgrade requests), then the socket is closed. */
export function writeSocketError(
  socket: Duplex,
  reason: ErrorReason,
  status: number = statusForReason(reason),
): void {
  const body = bodyFor(status, reason);
  writeSocketResponse(
    socket,
    status,
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nx-tidegate-error: ${reason}\r\n`,
    body,
  );
}

/** A complete HTTP/1.1 response on a raw socket; `headerLines` are `name: value\r\n` lines. Closes the socket. */
export function writeSocketResponse(
  socket: Duplex,
  status: number,
  headerLines: string,
  body: Buffer | null,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headerLines}connection: close\r\n\r\n`,
    'latin1',
  );
  if (body === null) socket.end();
  else socket.end(body);
}
