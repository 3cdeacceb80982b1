import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** Where the API server and credentials come from. */
export interface KubeConnection {
  /**
   * A kubeconfig file. Without it: the in-cluster service account when `KUBERNETES_SERVICE_HOST` is set
   * (token and CA under `/var/run/secrets/kubernetes.io/serviceaccount/`), otherwise `$KUBECONFIG` or
   * `~/.kube/config`, as kubectl resolves it.
   */
  readonly kubeconfig?: string | undefined;
}

/** A failed API request, with the `Status` the server answered (reason `Forbidden`, `Conflict`, `Expired`, …). */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;

  constructor(statusCode: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** What a request sends besides method and path. */
export interface KubeRequest {
  readonly query?: Readonly<Record<string, string | undefined>> | undefined;
  readonly body?: unknown;
  /** Default `application/json`; status writes use `application/merge-patch+json`. */
  readonly contentType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * JSON requests to the API server with the authentication and TLS settings of `@kubernetes/client-node`'s
 * `KubeConfig` (`applyToHTTPSOptions`, as its WebSocket clients use). Objects are kept as the raw JSON the server sends: the
 * generated typed clients turn timestamps into `Date`s and drop unknown fields, while translation wants the
 * objects exactly as `kubectl get -o json` shows them.
 */
export class KubeApi {
  readonly config: KubeConfig;

  constructor(config: KubeConfig) {
    this.config = config;
  }

  static connect(connection: KubeConnection): KubeApi {
    const config = new KubeConfig();
    if (connection.kubeconfig !== undefined) config.loadFromFile(connection.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
    else config.loadFromDefault();
    if (!config.getCurrentCluster()) throw new Error('the kubeconfig has no current cluster');
    return new KubeApi(config);
  }

  /** The API server's base URL. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  /** Sends one request; resolves with the parsed body of a 2xx answer, throws {@link KubeApiError} otherwise. */
  async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    options: KubeRequest = {},
  ): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, value);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const requestOptions: RequestOptions = { method, headers, signal: options.signal };
    // Credentials (token, client certificate), CA and the client's cached keep-alive agent, as its own clients use.
    await this.config.applyToHTTPSOptions(requestOptions);
    const secure = url.protocol === 'https:';
    // `kubectl proxy` and other plain-HTTP servers: the agent the client built is an HTTPS one.
    if (!secure) delete requestOptions.agent;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return parsed as T;
    const body = (parsed ?? {}) as { reason?: unknown; message?: unknown };
    throw new KubeApiError(
      status,
      typeof body.reason === 'string' ? body.reason : String(status),
      typeof body.message === 'string' ? body.message : `${method} ${path}: HTTP ${status}`,
    );
  }
}
