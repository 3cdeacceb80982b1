import { X509Certificate } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import type { SnapshotHolder } from '../runtime/holder.js';

type EndpointLabel = 'service' | 'endpoint';

/**
 * Metric families read from the live table at scrape time rather than counted on the request path: endpoint
 * readiness (EndpointSlice conditions; availability and ejection are `HealthMetrics`') and TLS certificate
 * expiry. Cardinality follows the configuration (one series per endpoint or certificate), and
 * series of endpoints or certificates gone from the table disappear with the next scrape.
 */
export function registerSnapshotMetrics(registry: Registry, holder: SnapshotHolder): void {
  const registers = [registry];
  const notAfterByPem = new Map<string, number>();
  new Gauge<EndpointLabel>({
    name: 'tidegate_endpoint_ready',
    help: 'Endpoint readiness as its EndpointSlice (or registry instance) reports it: 1 ready, 0 not.',
    labelNames: ['service', 'endpoint'],
    registers,
    collect() {
      this.reset();
      const table = holder.current;
      if (table === null) return;
      for (const backend of table.backends.values())
        for (const endpoint of backend.endpoints)
          this.set({ service: backend.name, endpoint: endpoint.name }, endpoint.ready ? 1 : 0);
    },
  });
  new Gauge<'certificate'>({
    name: 'tidegate_tls_certificate_not_after_timestamp_seconds',
    help: 'Unix time at which each served TLS certificate expires (alert on time() - this).',
    labelNames: ['certificate'],
    registers,
    collect() {
      this.reset();
      const table = holder.current;
      if (table === null) return;
      const live = new Set<string>();
      for (const certificate of table.ir.certificates) {
        live.add(certificate.certPem);
        let notAfter = notAfterByPem.get(certificate.certPem);
        if (notAfter === undefined) {
          notAfter = notAfterSeconds(certificate.certPem);
          notAfterByPem.set(certificate.certPem, notAfter);
        }
        if (!Number.isNaN(notAfter)) this.set({ certificate: certificate.name }, notAfter);
      }
      for (const pem of notAfterByPem.keys()) if (!live.has(pem)) notAfterByPem.delete(pem);
    },
  });
}

/** Seconds since the epoch of the leaf certificate's `notAfter`; NaN when the PEM does not parse. */
function notAfterSeconds(pem: string): number {
  try {
    return Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
  } catch {
    return Number.NaN;
  }
}
