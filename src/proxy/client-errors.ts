/**
 * Answers for requests the HTTP parser rejected before any request object existed ('clientError'): written straight
 * to the socket, so they are complete HTTP/1.1 messages, built once. Each closes the connection: after a parse error
 * the framing of whatever follows is unknown, and guessing it is how request smuggling works (RFC 9112 §11.2).
 */

/** A pre-built answer to a request the parser refused. */
export interface ClientErrorResponse {
  readonly status: number;
  readonly bytes: Buffer;
}

function build(status: number, reason: string): ClientErrorResponse {
  const body = `${reason.toLowerCase()}\n`;
  const head =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    '\r\n';
  return { status, bytes: Buffer.from(head + body, 'latin1') };
}

const BAD_REQUEST = build(400, 'Bad Request');
const REQUEST_TIMEOUT = build(408, 'Request Timeout');
const CONTENT_TOO_LARGE = build(413, 'Content Too Large');
const HEADER_FIELDS_TOO_LARGE = build(431, 'Request Header Fields Too Large');

/**
 * The answer for a parser error code, as Node's own default 'clientError' behaviour chooses it: 431 when the head
 * exceeds `maxHeaderSize` (RFC 6585 §5), 408 when `headersTimeout`/`requestTimeout` fired, 413 for oversized chunk
 * extensions, and 400 for everything else, which includes every smuggling shape llhttp rejects in strict mode
 * (Content-Length with Transfer-Encoding, duplicate Content-Length, obs-fold, invalid chunk sizes).
 */
export function clientErrorResponse(code: string | undefined): ClientErrorResponse {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return HEADER_FIELDS_TOO_LARGE;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return REQUEST_TIMEOUT;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return CONTENT_TOO_LARGE;
    default:
      return BAD_REQUEST;
  }
}
