import ipaddr from 'ipaddr.js';

/** A listen address split into its parts. */
export interface HostPort {
  /** IPv4 address, IPv6 address (without brackets) or host name; `''` means every interface. */
  readonly host: string;
  /** 0..65535; 0 asks the OS for a free port (useful in tests). */
  readonly port: number;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const PORT = /^\d{1,5}$/;
const EXPECTED = 'expected host:port, [ipv6]:port or :port';

/**
 * Parses `host:port`, `[v6]:port` or `:port` (every interface). Pass `host || undefined` to `server.listen` so that
 * `:port` gets Node's dual-stack default.
 * @throws RangeError with a message fit for a config error.
 */
export function parseHostPort(input: string): HostPort {
  let host: string;
  let portText: string;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0 || input[close + 1] !== ':') throw new RangeError(`${EXPECTED}, got "${input}"`);
    host = input.slice(1, close);
    portText = input.slice(close + 2);
    if (!ipaddr.IPv6.isValid(host)) throw new RangeError(`invalid IPv6 address "${host}" in "${input}"`);
  } else {
    const colon = input.lastIndexOf(':');
    if (colon < 0) throw new RangeError(`${EXPECTED}, got "${input}" (missing port)`);
    host = input.slice(0, colon);
    portText = input.slice(colon + 1);
    if (host.includes(':')) {
      throw new RangeError(`IPv6 addresses need brackets, e.g. "[::1]:8080", got "${input}"`);
    }
    // Digits and dots only must be a dotted-quad IPv4 address; otherwise `999.1.1.1` would pass as a host name.
    const valid = /^[\d.]+$/.test(host) ? ipaddr.IPv4.isValidFourPartDecimal(host) : HOST_NAME.test(host);
    if (host !== '' && !valid) throw new RangeError(`invalid host "${host}" in "${input}"`);
  }
  const port = Number(portText);
  if (!PORT.test(portText) || port > 65535) {
    throw new RangeError(`invalid port "${portText}" in "${input}": expected 0..65535`);
  }
  return { host, port };
}
