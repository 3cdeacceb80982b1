/**
 * Test certificates from the `selfsigned` package: a fresh key pair per call (EC P-256, fast to generate), so two
 * calls for the same host give certificates with different fingerprints, as a rotation needs.
 */
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface TestCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** As `X509Certificate.fingerprint256` reports it, to compare with what a handshake presented. */
  readonly fingerprint256: string;
}

/** A self-signed certificate for `hosts` (the first is the CN; all are DNS subject alternative names). */
export async function selfSignedCertificate(hosts: readonly [string, ...string[]]): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: hosts[0] }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: hosts.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return {
    certPem: pems.cert,
    keyPem: pems.private,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
  };
}
