import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { Certificate } from '../ir/types.js';
import type { Logger } from '../observability/logger.js';

/** Enough for every certificate of a large cluster; a context is a few kilobytes of OpenSSL state. */
const DEFAULT_MAX_CONTEXTS = 1_000;

export interface SecureContextCacheOptions {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Most contexts (and remembered load failures) kept; default 1000. */
  readonly max?: number | undefined;
  readonly logger: Logger;
}

/**
 * TLS contexts for the certificates of the runtime table, built on first use by a handshake. Keyed by certificate
 * name plus a hash of its PEMs: a Secret rotation arrives as a new table with a new PEM and gets a new context,
 * while an unchanged certificate keeps its context (and its session tickets) across table swaps. A certificate that
 * fails to load is remembered as failed, so it is logged once per PEM version and not re-parsed per handshake.
 */
export class SecureContextCache {
  readonly #minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly #logger: Logger;
  /** `false` marks a certificate that failed to load. */
  readonly #contexts: LRUCache<string, SecureContext | false>;
  /** Cache keys per IR certificate object, so the PEMs are hashed once per table rather than once per handshake. */
  readonly #keys = new WeakMap<Certificate, string>();

  constructor(options: SecureContextCacheOptions) {
    this.#minVersion = options.minVersion;
    this.#logger = options.logger;
    this.#contexts = new LRUCache({ max: options.max ?? DEFAULT_MAX_CONTEXTS });
  }

  /** The context serving `certificate`, or null when it does not load (the caller serves its default). */
  get(certificate: Certificate): SecureContext | null {
    let key = this.#keys.get(certificate);
    if (key === undefined) {
      key = `${certificate.name}|${pemHash(certificate)}`;
      this.#keys.set(certificate, key);
    }
    const cached = this.#contexts.get(key);
    if (cached !== undefined) return cached || null;
    const context = this.#load(certificate, key.slice(certificate.name.length + 1));
    this.#contexts.set(key, context);
    return context || null;
  }

  #load(certificate: Certificate, hash: string): SecureContext | false {
    try {
      return createSecureContext({
        cert: certificate.certPem,
        key: certificate.keyPem,
        minVersion: this.#minVersion,
      });
    } catch (error) {
      // OpenSSL's message names the failure ("key values mismatch", "no start line"), never the key itself.
      this.#logger.warn(
        {
          certificate: certificate.name,
          hosts: certificate.hosts,
          pemHash: hash,
          reason: error instanceof Error ? error.message : String(error),
        },
        'certificate does not load; serving the default certificate for its hosts',
      );
      return false;
    }
  }
}

/** SHA-256 over certificate and key: a key fixed under an unchanged certificate is a new version too. */
function pemHash(certificate: Certificate): string {
  return createHash('sha256')
    .update(certificate.certPem)
    .update('\0')
    .update(certificate.keyPem)
    .digest('hex');
}
