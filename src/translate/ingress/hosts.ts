import { isDnsSubdomain, isIPv4, isIPv6 } from '../addresses.js';

/** The hostname of the catch-all virtual host, for rules without a host. */
export const CATCH_ALL_HOST = '*';

export type HostCheck =
  | { readonly ok: true; readonly hostname: string }
  | { readonly ok: false; readonly reason: string };

/**
 * An Ingress host as the Ingress spec allows it: a DNS name (RFC 3986 reg-name restricted to RFC 1123 labels),
 * optionally with `*` as the whole first label; never an IP address or a port. Lower-cased, since host names
 * compare case-insensitively (RFC 4343).
 */
export function checkHost(host: string): HostCheck {
  const hostname = host.toLowerCase();
  if (isIPv4(hostname) || isIPv6(hostname)) {
    return {
      ok: false,
      reason: `host ${JSON.stringify(host)} is an IP address; the Ingress spec requires a DNS name`,
    };
  }
  if (hostname.includes(':')) {
    return { ok: false, reason: `host ${JSON.stringify(host)} must not contain a port` };
  }
  const rest = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
  if (rest.includes('*')) {
    return {
      ok: false,
      reason: `host ${JSON.stringify(host)}: a wildcard must be the whole first label, as in "*.example.com"`,
    };
  }
  if (!isDnsSubdomain(rest)) {
    return {
      ok: false,
      reason: `host ${JSON.stringify(host)} is not a valid DNS name (lower-case letters, digits, "-" and ".")`,
    };
  }
  return { ok: true, hostname };
}

/** The virtual host of an Ingress rule: its host, or the catch-all when the rule has none. */
export function ruleHost(host: string | undefined): HostCheck {
  return host === undefined || host === '' ? { ok: true, hostname: CATCH_ALL_HOST } : checkHost(host);
}

/** True when `hostname` is a wildcard vhost (`*.example.com`). */
export function isWildcardHost(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/**
 * Whether a certificate host covers `hostname`: equal, or a wildcard matching exactly one extra label
 * (RFC 6125 §6.4.3, the same one-label rule the Ingress spec uses for wildcard hosts).
 */
export function certificateHostCovers(certificateHost: string, hostname: string): boolean {
  if (certificateHost === hostname) return true;
  if (!isWildcardHost(certificateHost) || hostname === CATCH_ALL_HOST || isWildcardHost(hostname))
    return false;
  const dot = hostname.indexOf('.');
  return dot > 0 && hostname.slice(dot) === certificateHost.slice(1);
}
