import { generate } from 'selfsigned';

/** Validity of a generated certificate when not told otherwise: long enough for a development cluster. */
const DEFAULT_DAYS = 365;
const DAY_MS = 86_400_000;

/**
 * A self-signed server certificate for `hosts`: the first host is the subject CN, every host is a subjectAltName
 * DNS entry (RFC 6125 §6.4.4: clients match the SAN and ignore the CN when a SAN is present). Used as the default
 * certificate of an HTTPS entry point without a configured one, like Traefik's "TRAEFIK DEFAULT CERT", and by tests.
 */
export async function generateSelfSigned(
  hosts: readonly string[],
  options?: { readonly days?: number | undefined },
): Promise<{ certPem: string; keyPem: string }> {
  const commonName = hosts[0];
  if (commonName === undefined) throw new Error('generateSelfSigned needs at least one host');
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + (options?.days ?? DEFAULT_DAYS) * DAY_MS);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}
