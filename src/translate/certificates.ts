import { secretCertificateName } from '../ir/names.js';
import type { Certificate } from '../ir/types.js';
import { refOf, type SourcedObject } from '../objects/envelope.js';
import { tlsSecretBodySchema } from '../objects/schemas.js';
import { compareStrings } from './order.js';
import type { StatusBook } from './status-book.js';

export type SecretProblem = { readonly reason: 'SecretNotFound' | 'InvalidSecret'; readonly message: string };

type SecretRead =
  | { readonly ok: true; readonly certPem: string; readonly keyPem: string }
  | ({ readonly ok: false } & SecretProblem);

interface Collected {
  readonly secret: SourcedObject;
  readonly certPem: string;
  readonly keyPem: string;
  readonly hosts: Set<string>;
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
// PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), SEC 1 (`EC PRIVATE KEY`).
const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z]+ )*PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )*PRIVATE KEY-----/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Turns `spec.tls[].secretName` references into IR Certificates: one per Secret, its hosts merged from every
 * Ingress that refers to it. Messages name the Secret and the failing key, never its contents.
 */
export class CertificateCollector {
  readonly #secrets = new Map<string, SourcedObject>();
  readonly #read = new Map<string, SecretRead>();
  readonly #collected = new Map<string, Collected>();
  readonly #statuses: StatusBook;

  /** `secrets` as the inventory holds them; each gets a status (Accepted, or InvalidSecret once referenced). */
  constructor(secrets: readonly SourcedObject[], statuses: StatusBook) {
    this.#statuses = statuses;
    for (const secret of secrets) {
      const { namespace, name } = refOf(secret.object);
      this.#secrets.set(secretCertificateName(namespace, name), secret);
    }
  }

  /** Adds `hosts` (lower-case) to the certificate of Secret `namespace/name`; returns the problem if unusable. */
  add(namespace: string, name: string, hosts: readonly string[]): SecretProblem | null {
    const key = secretCertificateName(namespace, name);
    const secret = this.#secrets.get(key);
    if (secret === undefined) {
      return { reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found` };
    }
    let read = this.#read.get(key);
    if (read === undefined) {
      read = readTlsSecret(secret);
      this.#read.set(key, read);
      if (!read.ok) this.#statuses.reject(secret, read.reason, read.message);
    }
    if (!read.ok) return { reason: read.reason, message: `Secret ${namespace}/${name}: ${read.message}` };
    let collected = this.#collected.get(key);
    if (collected === undefined) {
      collected = { secret, certPem: read.certPem, keyPem: read.keyPem, hosts: new Set() };
      this.#collected.set(key, collected);
    }
    for (const host of hosts) collected.hosts.add(host);
    return null;
  }

  /** The certificates, sorted by name; also accepts every Secret no Ingress found fault with. */
  certificates(): Certificate[] {
    for (const secret of this.#secrets.values()) this.#statuses.accept(secret);
    return [...this.#collected.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([name, collected]) => {
        const ref = refOf(collected.secret.object);
        return {
          name,
          source: { kind: 'Secret', namespace: ref.namespace, name: ref.name },
          hosts: [...collected.hosts].sort(compareStrings),
          certPem: collected.certPem,
          keyPem: collected.keyPem,
        };
      });
  }
}

function readTlsSecret(secret: SourcedObject): SecretRead {
  const { type, data, stringData } = secret.object;
  const parsed = tlsSecretBodySchema.safeParse({ type, data, stringData });
  if (!parsed.success) {
    const message =
      type === 'kubernetes.io/tls'
        ? 'data and stringData must map keys to strings'
        : `type must be "kubernetes.io/tls", got ${typeof type === 'string' ? JSON.stringify(type) : 'none'}`;
    return { ok: false, reason: 'InvalidSecret', message };
  }
  const cert = value(parsed.data, 'tls.crt');
  const key = value(parsed.data, 'tls.key');
  if (cert === null || key === null) {
    const missing = cert === null ? 'tls.crt' : 'tls.key';
    return { ok: false, reason: 'InvalidSecret', message: `${missing} is missing or not valid base64` };
  }
  if (!CERTIFICATE_PEM.test(cert)) {
    return { ok: false, reason: 'InvalidSecret', message: 'tls.crt is not a PEM certificate' };
  }
  if (!PRIVATE_KEY_PEM.test(key)) {
    return { ok: false, reason: 'InvalidSecret', message: 'tls.key is not a PEM private key' };
  }
  return { ok: true, certPem: cert, keyPem: key };
}

/** One key of the Secret: `stringData` wins over `data`, as the API server merges it on write. */
function value(
  body: {
    readonly data?: Record<string, string> | undefined;
    readonly stringData?: Record<string, string> | undefined;
  },
  key: string,
): string | null {
  const plain = body.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = body.data?.[key];
  if (encoded === undefined) return null;
  // Buffer.from ignores invalid characters instead of failing, so check the alphabet first (line breaks allowed).
  const compact = encoded.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return null;
  return Buffer.from(compact, 'base64').toString('utf8');
}
