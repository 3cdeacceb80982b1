import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runner } from '../../core/lifecycle.js';
import { boundAddress, closeServer, listen } from '../../core/listening.js';
import type { Logger } from '../../observability/logger.js';
import { metadataValueMs } from '../liveness.js';
import { DEFAULT_GROUP, HEART_BEAT_INTERVAL_KEY, instanceKey } from '../model.js';
import type { RegistryStore } from '../store.js';
import type { ListAnswers } from './list-answers.js';
import type { NacosAuth } from './nacos-auth.js';
import { NacosError } from './nacos-error.js';
import { NacosParams, parseMetadata } from './nacos-params.js';
import { CLIENT_BEAT_INTERVAL_MS, instanceView, serviceView } from './nacos-view.js';
import type { UdpPush } from './udp-push.js';

/** Request bodies (forms) above this are refused with 413; Nacos requests are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** Nacos' `NamingResponseCode.OK` / `RESOURCE_NOT_FOUND`, answered in the beat's `code`. */
const BEAT_OK = 10_200;
const BEAT_NOT_FOUND = 20_404;

export interface NacosServerOptions {
  readonly host: string;
  readonly port: number;
  /** Namespaces that exist (`public` always); requests naming another get a 400. */
  readonly namespaces: readonly string[];
}

export interface NacosServerDeps {
  readonly store: RegistryStore;
  /** Undefined: authentication is off (Nacos' default), every request is accepted. */
  readonly auth: NacosAuth | undefined;
  readonly answers: ListAnswers;
  readonly push: UdpPush;
  readonly logger: Logger;
}

type Handler = (params: NacosParams, request: IncomingMessage) => Promise<Answer>;
type Answer = string | Record<string, unknown>;

/**
 * The Nacos 1.x naming Open API (https://nacos.io/docs/v1/open-api/) on its own listener, answering with the
 * shapes, statuses and plain-text errors the Nacos server uses, so that unmodified Nacos clients work against it.
 */
export class NacosServer implements Runner {
  readonly name = 'registry-nacos-api';
  readonly #options: NacosServerOptions;
  readonly #deps: NacosServerDeps;
  readonly #namespaces: ReadonlySet<string>;
  readonly #routes: ReadonlyMap<string, Handler>;
  #server: Server | null = null;

  constructor(options: NacosServerOptions, deps: NacosServerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#namespaces = new Set(['public', ...options.namespaces]);
    this.#routes = new Map<string, Handler>([
      ['POST /nacos/v1/ns/instance', (p) => this.#register(p)],
      ['PUT /nacos/v1/ns/instance', (p) => this.#update(p)],
      ['DELETE /nacos/v1/ns/instance', (p) => this.#deregister(p)],
      ['GET /nacos/v1/ns/instance', (p) => this.#getInstance(p)],
      ['GET /nacos/v1/ns/instance/list', (p, r) => this.#list(p, r)],
      ['PUT /nacos/v1/ns/instance/beat', (p) => this.#beat(p)],
      ['POST /nacos/v1/ns/service', (p) => this.#createService(p)],
      ['PUT /nacos/v1/ns/service', (p) => this.#updateService(p)],
      ['DELETE /nacos/v1/ns/service', (p) => this.#deleteService(p)],
      ['GET /nacos/v1/ns/service', (p) => this.#getService(p)],
      ['GET /nacos/v1/ns/service/list', (p) => this.#listServices(p)],
      ['GET /nacos/v1/ns/operator/metrics', async () => ({ status: 'UP' })],
    ]);
  }

  /** The bound address (port 0 resolved); null before start. */
  address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  async start(_signal: AbortSignal): Promise<void> {
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#deps.logger.error({ err: error }, 'registry API request failed');
        if (!response.headersSent) send(response, 500, 'caused: internal error;');
      });
    });
    this.#server = server;
    await listen(server, this.#options.host, this.#options.port);
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await closeServer(server);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://registry');
    const path = url.pathname.replace(/\/+$/, '');
    const method = request.method ?? 'GET';
    try {
      const values = new URLSearchParams(url.search);
      const body = await readBody(request);
      if (body !== '' && isForm(request)) {
        for (const [name, value] of new URLSearchParams(body))
          if (!values.has(name)) values.append(name, value);
      }
      const params = new NacosParams(values, this.#namespaces);
      if (path === '/nacos/v1/auth/login' || path === '/nacos/v1/auth/users/login') {
        if (method !== 'POST') throw new NacosError(400, `Request method '${method}' not supported`);
        if (!this.#deps.auth) throw new NacosError(404, 'authentication is not enabled');
        respond(
          response,
          await this.#deps.auth.login(params.optional('username'), params.optional('password')),
        );
        return;
      }
      const handler = this.#routes.get(`${method} ${path}`);
      if (!handler) {
        throw new NacosError(404, `no API ${method} ${path}`);
      }
      if (this.#deps.auth) {
        const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
        await this.#deps.auth.authenticate({
          accessToken: params.optional('accessToken') ?? bearer,
          username: params.optional('username'),
          password: params.optional('password'),
        });
      }
      respond(response, await handler(params, request));
    } catch (error) {
      if (!(error instanceof NacosError)) throw error;
      send(response, error.status, error.body());
    }
  }

  async #register(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    await this.#deps.store.registerInstance(ref, params.instance());
    return 'ok';
  }

  /** `PUT /instance`: Nacos updates an existing instance only. */
  async #update(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    const address = params.address();
    const existing = (await this.#deps.store.listInstances(ref, [address.clusterName])).find(
      (i) => instanceKey(i) === instanceKey(address),
    );
    if (!existing) throw new NacosError(400, `instance not exist: ${instanceKey(address)}`);
    await this.#deps.store.registerInstance(ref, params.instance(existing));
    return 'ok';
  }

  /** `DELETE /instance`: "ok" whether or not it was there, as Nacos answers. */
  async #deregister(params: NacosParams): Promise<Answer> {
    await this.#deps.store.deregisterInstance(params.service(), params.address());
    return 'ok';
  }

  async #getInstance(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    const address = params.address({ cluster: params.optional('cluster') });
    const instance = (await this.#deps.store.listInstances(ref)).find(
      (i) => instanceKey(i) === instanceKey(address),
    );
    if (!instance || (params.boolean('healthyOnly', false) && !instance.healthy)) {
      throw new NacosError(404, 'no matched ip found!');
    }
    return instanceView(ref, instance);
  }

  async #list(params: NacosParams, request: IncomingMessage): Promise<Answer> {
    const ref = params.service();
    const clusters = params.optional('clusters') ?? '';
    const healthyOnly = params.boolean('healthyOnly', false);
    const udpPort = Number(params.optional('udpPort') ?? 0);
    const push = Number.isInteger(udpPort) && udpPort > 0 && udpPort < 65_536;
    if (push) {
      // Like Nacos' PushService: the client named its address (`clientIP`), else the one it connected from.
      const ip = params.optional('clientIP') ?? request.socket.remoteAddress ?? '';
      this.#deps.push.subscribe({ ref, clusters, healthyOnly, ip, port: udpPort });
    }
    return this.#deps.answers.answer(ref, clusters, healthyOnly, push);
  }

  /**
   * `PUT /instance/beat`: the full beat (`beat` JSON, what the clients send) re-registers an instance the registry
   * lost (after a restart, an expiry) and answers 10200; a light beat (`ip`/`port` only) for an unknown instance
   * answers 20404 so that the client registers again. Nacos' `InstanceController.beat`.
   */
  async #beat(params: NacosParams): Promise<Answer> {
    const beatText = params.optional('beat');
    const beat = beatText === undefined ? undefined : parseBeat(beatText);
    const ref = params.service(
      params.optional('serviceName') ??
        (typeof beat?.serviceName === 'string' ? beat.serviceName : undefined),
    );
    const address = params.address({ ip: beat?.ip, port: beat?.port, cluster: beat?.cluster });
    const metadata =
      typeof beat?.metadata === 'object' && beat.metadata !== null
        ? parseMetadata(JSON.stringify(beat.metadata), 'beat.metadata')
        : {};
    // Nacos answers the instance's `preserved.heart.beat.interval` when it has one, and the client adopts it.
    const clientBeatInterval = metadataValueMs(metadata, HEART_BEAT_INTERVAL_KEY, CLIENT_BEAT_INTERVAL_MS);
    const answer = { clientBeatInterval, code: BEAT_OK, lightBeatEnabled: true };
    if (await this.#deps.store.heartbeat(ref, address)) return answer;
    if (!beat) return { ...answer, code: BEAT_NOT_FOUND };
    const weight =
      typeof beat.weight === 'number' && beat.weight >= 0 && beat.weight <= 10_000 ? beat.weight : 1;
    await this.#deps.store.registerInstance(ref, {
      ...address,
      weight,
      healthy: true,
      enabled: true,
      ephemeral: true,
      metadata,
    });
    return answer;
  }

  async #createService(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    if (await this.#deps.store.getService(ref)) {
      throw new NacosError(
        400,
        `specified service already exists, serviceName : ${ref.group}@@${ref.service}`,
      );
    }
    await this.#deps.store.upsertService({
      ...ref,
      protectThreshold: params.protectThreshold(0),
      metadata: params.metadata('metadata') ?? {},
      selector: { type: 'none' },
    });
    return 'ok';
  }

  async #updateService(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    const existing = await this.#deps.store.getService(ref);
    if (!existing) throw new NacosError(400, `service ${ref.group}@@${ref.service} not found!`);
    await this.#deps.store.upsertService({
      ...existing,
      protectThreshold: params.protectThreshold(existing.protectThreshold),
      metadata: params.metadata('metadata') ?? existing.metadata,
    });
    return 'ok';
  }

  async #deleteService(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    const result = await this.#deps.store.deleteService(ref);
    if (result === 'has-instances') {
      throw new NacosError(
        400,
        `specified service has instances, serviceName : ${ref.group}@@${ref.service}`,
      );
    }
    if (result === 'not-found') {
      throw new NacosError(400, `specified service not exist, serviceName : ${ref.group}@@${ref.service}`);
    }
    return 'ok';
  }

  async #getService(params: NacosParams): Promise<Answer> {
    const ref = params.service();
    const service = await this.#deps.store.getService(ref);
    if (!service) throw new NacosError(404, `service ${ref.group}@@${ref.service} is not found!`);
    return serviceView(service, await this.#deps.store.listInstances(ref));
  }

  /** `GET /service/list`: `{count, doms}` with plain (ungrouped) names, `pageNo`/`pageSize` required by Nacos. */
  async #listServices(params: NacosParams): Promise<Answer> {
    const page = { pageNo: params.positiveInt('pageNo', 1), pageSize: params.positiveInt('pageSize', 20) };
    const result = await this.#deps.store.listServices(
      params.namespace(),
      // Nacos lists the default group when `groupName` is absent.
      params.optional('groupName') ?? DEFAULT_GROUP,
      page,
    );
    return { count: result.count, doms: result.services.map((s) => s.service) };
  }
}

interface BeatInfo {
  readonly serviceName?: unknown;
  readonly ip?: unknown;
  readonly port?: unknown;
  readonly cluster?: unknown;
  readonly weight?: unknown;
  readonly metadata?: unknown;
}

function parseBeat(text: string): BeatInfo {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as BeatInfo;
  } catch {
    // Reported below, as Nacos' JacksonUtils.toObj failure.
  }
  throw new NacosError(400, `Param 'beat' is not a valid JSON object`);
}

function isForm(request: IncomingMessage): boolean {
  return (request.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/x-www-form-urlencoded');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new NacosError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function respond(response: ServerResponse, answer: Answer): void {
  if (typeof answer === 'string') send(response, 200, answer);
  else {
    response.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    response.end(JSON.stringify(answer));
  }
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain;charset=UTF-8' });
  response.end(text);
}
