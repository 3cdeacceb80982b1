import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/**
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) for the admin API, or the `access_token` query parameter
 * (§2.3) for the one client that cannot set headers: the browser's `EventSource`. Compared in constant time on
 * digests, so neither the token's content nor its length leaks through timing.
 */
export class BearerAuth {
  readonly #digest: Buffer | null;

  /** @param token the expected token; undefined lets every request through */
  constructor(token: string | undefined) {
    this.#digest = token === undefined ? null : digest(token);
  }

  get enabled(): boolean {
    return this.#digest !== null;
  }

  /** True when authentication is off or the request presents the token. */
  allows(req: IncomingMessage, query: URLSearchParams | null): boolean {
    if (this.#digest === null) return true;
    const header = req.headers.authorization;
    const presented = header === undefined ? query?.get('access_token') : BEARER.exec(header)?.[1];
    return presented !== undefined && presented !== null && timingSafeEqual(digest(presented), this.#digest);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
