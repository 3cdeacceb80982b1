/**
 * Small clients for the e2e suite on `node:http`/`node:https`/`node:tls`: whole-body answers with a bounded timeout,
 * HTTPS with explicit SNI and no certificate verification (the gateway's certificates are self-signed), and the
 * peer certificate of a handshake.
 */
import type { X509Certificate } from 'node:crypto';
import {
  type Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The certificate the server presented, for `https:` URLs. */
  readonly peerCertificate: X509Certificate | null;
  /** True when the request went over a connection the agent had already used (keep-alive). */
  readonly reusedSocket: boolean;
}

export interface RequestOptions {
  /** Default GET. */
  readonly method?: string | undefined;
  /** Sent as they are; `host` overrides the URL's authority, which is how a test picks the virtual host. */
  readonly headers?: OutgoingHttpHeaders | undefined;
  readonly body?: string | Buffer | undefined;
  /** The whole exchange, response body included; default 10 s. */
  readonly timeoutMs?: number | undefined;
  /** TLS SNI for `https:` URLs; none when absent (the URL's host is an IP address). */
  readonly servername?: string | undefined;
  /** A keep-alive agent to share connections; default a fresh connection per request. */
  readonly agent?: Agent | undefined;
}

/** Sends one request to `url` (`http:` or `https:`) and reads the whole answer. */
export function request(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secure = url.startsWith('https:');
  return new Promise<HttpResponse>((resolve, reject) => {
    const common = {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      agent: options.agent ?? false,
    };
    const req = secure
      ? httpsRequest(url, { ...common, servername: options.servername, rejectUnauthorized: false })
      : httpRequest(url, common);
    const timer = setTimeout(
      () => req.destroy(new Error(`${common.method} ${url}: no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as TLSSocket | null;
      const peerCertificate = secure && socket ? certificateOf(socket) : null;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          peerCertificate,
          reusedSocket: req.reusedSocket,
        });
      });
    });
    req.end(options.body);
  });
}

/**
 * Node answers `getPeerX509Certificate()` only the first time it is asked on a connection (undefined afterwards, as
 * seen on Node 20), so the certificate of a keep-alive connection is remembered for the requests that reuse it.
 */
const peerCertificates = new WeakMap<TLSSocket, X509Certificate>();

function certificateOf(socket: TLSSocket): X509Certificate | null {
  let certificate = peerCertificates.get(socket);
  if (!certificate) {
    certificate = socket.getPeerX509Certificate();
    if (certificate) peerCertificates.set(socket, certificate);
  }
  return certificate ?? null;
}

/** Parses a response body as JSON, naming the status and body when it is not JSON. */
export function jsonOf<T>(response: HttpResponse): T {
  try {
    return JSON.parse(response.body) as T;
  } catch {
    throw new Error(`expected a JSON body, got ${response.status}: ${response.body.slice(0, 500)}`);
  }
}

export interface HandshakeOptions {
  readonly host: string;
  readonly port: number;
  /** SNI to send; none when absent. */
  readonly servername?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Completes one TLS handshake (without verifying the peer) and returns the certificate the server chose. */
export function peerCertificate(options: HandshakeOptions): Promise<X509Certificate> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<X509Certificate>((resolve, reject) => {
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      servername: options.servername,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`TLS handshake: no answer within ${timeoutMs} ms`)),
    );
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerX509Certificate();
      socket.destroy();
      if (certificate) resolve(certificate);
      else reject(new Error('the server presented no certificate'));
    });
  });
}

/**
 * Opens (and at once closes) a TCP connection: `'connected'`, or the error code such as `'ECONNREFUSED'`.
 * Never rejects, so a test can poll for a listener to go away.
 */
export function probeConnect(host: string, port: number, timeoutMs = 2_000): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = netConnect({ host, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The common name (CN) of a certificate's subject, or null. */
export function commonName(certificate: X509Certificate): string | null {
  const match = /^CN=(.*)$/m.exec(certificate.subject);
  return match?.[1] ?? null;
}
