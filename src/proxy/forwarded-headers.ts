import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What the proxy knows about the TCP peer of a connection; computed once per socket. */
export interface PeerInfo {
  /** The peer's IP, IPv4-mapped IPv6 unwrapped (`::ffff:10.0.0.1` → `10.0.0.1`); `''` when unknown. */
  readonly address: string;
  /** True when the peer is one of the trusted proxies, whose forwarded headers are believed. */
  readonly trusted: boolean;
  /** The RFC 7239 `for=` value of the peer (IPv6 quoted and bracketed, §6). */
  readonly forwardedFor: string;
  /** The local port the connection arrived on, for `X-Forwarded-Port`. */
  readonly localPort: string;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * The trust decision for forwarded headers. CIDRs are parsed once; the per-socket result is cached in a WeakMap,
 * so keep-alive requests on one connection never re-parse the peer address.
 */
export class ForwardedTrust {
  readonly #ranges: readonly Range[];
  readonly #peers = new WeakMap<Socket, PeerInfo>();

  /** @param trustedProxies normalised CIDRs (`10.0.0.0/8`, `::1/128`); an invalid one throws (config is validated). */
  constructor(trustedProxies: readonly string[]) {
    this.#ranges = trustedProxies.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** The peer of `socket`, computed on the first request of the connection. */
  peer(socket: Socket): PeerInfo {
    let info = this.#peers.get(socket);
    if (info === undefined) {
      const address = normaliseAddress(socket.remoteAddress ?? '');
      info = {
        address,
        trusted: address !== '' && this.isTrusted(address),
        forwardedFor: forwardedNode(address),
        localPort: String(socket.localPort ?? ''),
      };
      this.#peers.set(socket, info);
    }
    return info;
  }

  /** True when `address` (a normalised IP literal) lies in a trusted range. */
  isTrusted(address: string): boolean {
    if (this.#ranges.length === 0 || !ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    for (const range of this.#ranges) {
      if (parsed.kind() === range[0].kind() && parsed.match(range)) return true;
    }
    return false;
  }

  /**
   * The client address of a request from a trusted peer carrying `X-Forwarded-For`: the right-most address that
   * is not itself a trusted proxy, as nginx's realip module with `real_ip_recursive on` (ingress-nginx's setting)
   * decides; the left-most when all are trusted. Stops at the first entry that is not an IP.
   */
  clientFrom(forwardedFor: string, peer: string): string {
    const hops = forwardedFor.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = (hops[i] as string).trim();
      if (!ipaddr.isValid(hop)) break;
      client = normaliseAddress(hop);
      if (!this.isTrusted(client)) break;
    }
    return client;
  }
}

/** An IP literal in canonical text, IPv4-mapped IPv6 unwrapped; anything else unchanged. */
export function normaliseAddress(address: string): string {
  if (address.startsWith('::ffff:') && ipaddr.IPv4.isValid(address.slice(7))) return address.slice(7);
  return address;
}

/** RFC 7239 §6 node: IPv6 must be bracketed, and then quoted because `:` is not a token character. */
export function forwardedNode(address: string): string {
  if (address === '') return 'unknown';
  return address.includes(':') ? `"[${address}]"` : address;
}

/** An RFC 7239 value: as is when it is a token (RFC 9110 §5.6.2), otherwise a quoted-string. */
export function forwardedValue(value: string): string {
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return quote(value);
  }
  return value === '' ? '""' : value;
}

/** `for=…;host=…;proto=…`, the element this proxy adds to `Forwarded`. */
export function forwardedElement(peer: PeerInfo, host: string, proto: string): string {
  return host === ''
    ? `for=${peer.forwardedFor};proto=${proto}`
    : `for=${peer.forwardedFor};host=${forwardedValue(host)};proto=${proto}`;
}

function quote(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
function isTokenChar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  switch (c) {
    case 0x21:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x2a:
    case 0x2b:
    case 0x2d:
    case 0x2e:
    case 0x5e:
    case 0x5f:
    case 0x60:
    case 0x7c:
    case 0x7e:
      return true;
    default:
      return false;
  }
}
