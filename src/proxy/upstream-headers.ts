import { type ForwardedTrust, forwardedElement, type PeerInfo } from './forwarded-headers.js';
import { connectionTokens, isHopByHop, removeNamed } from './hop-by-hop.js';

/** Facts about the client request that the header pass collects on the way (the proxy's per-request object). */
export interface RequestHead {
  /** The Host header as received (absolute-form: the target's authority), `''` when absent. */
  hostHeader: string;
  /** Declared Content-Length, -1 when absent or unparsable. */
  contentLength: number;
  /** True when the request has a Transfer-Encoding (a body of unknown length). */
  chunked: boolean;
  /** The client address: the peer, or for a trusted peer the address its `X-Forwarded-For` names. */
  clientAddress: string;
  /** `X-Forwarded-Proto` sent by a trusted peer, else null. */
  forwardedProto: string | null;
}

/** What the request direction needs to know about a header beyond "end-to-end". */
const KIND_HOST = 1;
const KIND_CONNECTION = 2;
const KIND_UPGRADE = 3;
const KIND_CONTENT_LENGTH = 4;
const KIND_TRANSFER_ENCODING = 5;
const KIND_DROP = 6;
const KIND_FORWARDED_FOR = 7;
const KIND_FORWARDED_PROTO = 8;
const KIND_FORWARDED_HOST = 9;
const KIND_FORWARDED_PORT = 10;
const KIND_FORWARDED = 11;

const KINDS: ReadonlyMap<string, number> = new Map([
  ['host', KIND_HOST],
  ['connection', KIND_CONNECTION],
  ['upgrade', KIND_UPGRADE],
  ['content-length', KIND_CONTENT_LENGTH],
  ['transfer-encoding', KIND_TRANSFER_ENCODING],
  // Node's server has already answered `100 Continue` (or will when the body is read); forwarding Expect would
  // make the upstream wait for a second interim response. nginx does not forward it either.
  ['expect', KIND_DROP],
  // Always replaced: X-Real-IP is the address this proxy decided on, as ingress-nginx sets it.
  ['x-real-ip', KIND_DROP],
  ['x-forwarded-for', KIND_FORWARDED_FOR],
  ['x-forwarded-proto', KIND_FORWARDED_PROTO],
  ['x-forwarded-host', KIND_FORWARDED_HOST],
  ['x-forwarded-port', KIND_FORWARDED_PORT],
  ['forwarded', KIND_FORWARDED],
]);

/**
 * Builds the upstream request headers in one pass over the client's raw header array: hop-by-hop headers and
 * the headers named in `Connection` dropped (RFC 9110 §7.6.1), Host kept as received (replaced by the
 * authority of an absolute-form target, RFC 9112 §3.2.2), and the forwarded headers set. A trusted peer's
 * `X-Forwarded-For` and `Forwarded` are extended and its `X-Forwarded-Proto/-Host/-Port` kept; from anyone
 * else they are replaced, so a client cannot forge its address. For an upgrade, `Upgrade` is kept and
 * `Connection: upgrade` re-added (RFC 9110 §7.8).
 */
export function upstreamRequestHeaders(
  raw: readonly string[],
  authority: string | null,
  peer: PeerInfo,
  trust: ForwardedTrust,
  proto: 'http' | 'https',
  upgrade: boolean,
  head: RequestHead,
): string[] {
  const out: string[] = [];
  const trusted = peer.trusted;
  let named: string[] | null = null;
  let hostSeen = false;
  let received = '';
  let forwardedFor: string | null = null;
  let forwardedProto: string | null = null;
  let forwardedHost: string | null = null;
  let forwardedPort: string | null = null;
  let forwarded: string | null = null;
  head.contentLength = -1;
  head.chunked = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    switch (KINDS.get(lower)) {
      case undefined:
        if (!isHopByHop(lower)) out.push(name, value);
        break;
      case KIND_HOST:
        if (hostSeen) break;
        hostSeen = true;
        received = value;
        out.push(name, authority ?? value);
        break;
      case KIND_CONNECTION:
        named = connectionTokens(value, named);
        break;
      case KIND_UPGRADE:
        if (upgrade) out.push(name, value);
        break;
      case KIND_CONTENT_LENGTH: {
        const length = Number(value);
        head.contentLength = Number.isSafeInteger(length) && length >= 0 ? length : -1;
        out.push(name, value);
        break;
      }
      case KIND_TRANSFER_ENCODING:
        head.chunked = true;
        break;
      case KIND_FORWARDED_FOR:
        if (trusted) forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`;
        break;
      case KIND_FORWARDED_PROTO:
        if (trusted) forwardedProto ??= value;
        break;
      case KIND_FORWARDED_HOST:
        if (trusted) forwardedHost ??= value;
        break;
      case KIND_FORWARDED_PORT:
        if (trusted) forwardedPort ??= value;
        break;
      case KIND_FORWARDED:
        if (trusted) forwarded = forwarded === null ? value : `${forwarded}, ${value}`;
        break;
      default:
        break;
    }
  }
  const hostHeader = authority ?? received;
  if (authority !== null && !hostSeen) out.push('Host', authority);
  if (named !== null) removeNamed(out, named);
  if (upgrade) out.push('Connection', 'upgrade');

  const peerAddress = peer.address;
  const client = forwardedFor === null ? peerAddress : trust.clientFrom(forwardedFor, peerAddress);
  out.push(
    'X-Forwarded-For',
    forwardedFor === null ? peerAddress : `${forwardedFor}, ${peerAddress}`,
    'X-Forwarded-Proto',
    forwardedProto ?? proto,
    'X-Forwarded-Port',
    forwardedPort ?? peer.localPort,
    'X-Real-IP',
    client,
  );
  const host = forwardedHost ?? hostHeader;
  if (host !== '') out.push('X-Forwarded-Host', host);
  const element = forwardedElement(peer, hostHeader, proto);
  out.push('Forwarded', forwarded === null ? element : `${forwarded}, ${element}`);

  head.hostHeader = hostHeader;
  head.clientAddress = client;
  head.forwardedProto = forwardedProto;
  return out;
}
