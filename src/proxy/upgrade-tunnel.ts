import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { GatewayError, statusForReason } from '../core/errors.js';
import type { DnsCache } from './dns-cache.js';
import { reasonForUpstreamError, writeSocketError } from './error-response.js';

/** Where and how an upgraded connection is opened. */
export interface TunnelTarget {
  /** Endpoint address: an IP, or a DNS name resolved through `dns`. */
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** TLS server name (the request host); ignored without TLS or when it is an IP literal. */
  readonly serverName: string;
  readonly connectMs: number;
  /**
   * Idle timeout of the established tunnel, ms: nginx applies `proxy_read_timeout` to WebSocket connections
   * too, so an idle tunnel is closed after the route's read timeout (0 disables it).
   */
  readonly idleMs: number;
  readonly dns: DnsCache | null;
}

/**
 * An `Upgrade` request (WebSocket, h2c…) relayed at the byte level: a TCP or TLS connection to the endpoint,
 * the request head written as prepared by the caller, then the bytes of both sides piped with back-pressure
 * until either side closes. The upstream's answer (101 or not) passes through untouched; its status code is
 * only read for the metrics.
 */
export class UpgradeTunnel {
  readonly #client: Duplex;
  readonly #head: Buffer;
  readonly #requestHead: string;
  readonly #target: TunnelTarget;
  readonly #done: (status: number) => void;
  #upstream: Socket | null = null;
  #connected = false;
  #status = 0;
  #closed = false;

  /**
   * @param requestHead request line, header lines and the empty line, latin1 text
   * @param done called once when the tunnel is gone, with the upstream's status (or the error status sent)
   */
  constructor(
    client: Duplex,
    head: Buffer,
    requestHead: string,
    target: TunnelTarget,
    done: (status: number) => void,
  ) {
    this.#client = client;
    this.#head = head;
    this.#requestHead = requestHead;
    this.#target = target;
    this.#done = done;
  }

  /** Opens the upstream connection; everything after that is event-driven. */
  open(): void {
    const client = this.#client;
    client.on('error', () => this.#close(499));
    client.on('close', () => this.#close(this.#connected ? this.#status : 499));
    const { address, dns } = this.#target;
    if (dns === null || isIP(address) !== 0) {
      this.#connect(address);
      return;
    }
    dns.resolve(address).then(
      (ip) => this.#connect(ip),
      (error: unknown) => this.#fail(error),
    );
  }

  #connect(ip: string): void {
    if (this.#closed) return;
    const target = this.#target;
    const serverName =
      target.serverName !== '' && isIP(target.serverName) === 0 ? target.serverName : undefined;
    const upstream = target.tls
      ? tlsConnect({ host: ip, port: target.port, servername: serverName, rejectUnauthorized: false })
      : netConnect({ host: ip, port: target.port });
    this.#upstream = upstream;
    upstream.setTimeout(target.connectMs);
    upstream.on('timeout', () => {
      if (this.#connected) this.#teardown();
      else this.#fail(new GatewayError('upstream-connect', `connect timeout after ${target.connectMs} ms`));
    });
    upstream.on('error', (error) => {
      if (this.#connected) this.#teardown();
      else this.#fail(error);
    });
    upstream.once(target.tls ? 'secureConnect' : 'connect', () => this.#onConnect(upstream));
  }

  #onConnect(upstream: Socket): void {
    this.#connected = true;
    upstream.setTimeout(this.#target.idleMs);
    upstream.write(this.#requestHead, 'latin1');
    if (this.#head.length > 0) upstream.write(this.#head);
    upstream.once('data', (chunk: Buffer) => {
      this.#status = statusOf(chunk);
    });
    upstream.on('close', () => this.#teardown());
    upstream.pipe(this.#client);
    this.#client.pipe(upstream);
  }

  /** Nothing reached the client yet: answer with the gateway's error response. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    const reason = reasonForUpstreamError(error);
    const status = statusForReason(reason);
    this.#upstream?.destroy();
    writeSocketError(this.#client, reason);
    this.#close(status);
  }

  #teardown(): void {
    this.#upstream?.destroy();
    this.#client.destroy();
  }

  #close(status: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream?.destroy();
    this.#done(status);
  }
}

/** The status code of an HTTP/1.x status line at the start of `chunk` (`HTTP/1.1 101 …`), 0 when there is none. */
function statusOf(chunk: Buffer): number {
  if (chunk.length < 12 || chunk.toString('latin1', 0, 5) !== 'HTTP/') return 0;
  const status = Number(chunk.toString('latin1', 9, 12));
  return Number.isInteger(status) ? status : 0;
}
