import ipaddr from 'ipaddr.js';

/** Dotted-quad IPv4 only: `10.1` or `0x0a.0.0.1` are valid for inet_aton but not in Kubernetes objects. */
export function isIPv4(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value);
}

/** An IPv6 literal without a zone index (zones are meaningless outside the host that wrote them). */
export function isIPv6(value: string): boolean {
  return !value.includes('%') && ipaddr.IPv6.isValid(value);
}

export function isLoopback(value: string): boolean {
  if (value === 'localhost' || value.endsWith('.localhost')) return true;
  if (!isIPv4(value) && !isIPv6(value)) return false;
  const address = ipaddr.parse(value);
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    return (
      v6.range() === 'loopback' || (v6.isIPv4MappedAddress() && v6.toIPv4Address().range() === 'loopback')
    );
  }
  return address.range() === 'loopback';
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A lower-case RFC 1123 subdomain as Kubernetes validates names and hosts (`IsDNS1123Subdomain`): dot-separated
 * labels of letters, digits and inner hyphens, at most 253 characters; labels are also held to the DNS limit
 * of 63 characters (RFC 1035 §2.3.4) because a longer one can never resolve.
 */
export function isDnsSubdomain(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split('.').every((label) => label.length <= 63 && LABEL.test(label));
}
