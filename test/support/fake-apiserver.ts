/**
 * A Kubernetes API server for tests, faithful to the protocol the official clients speak (there is no cluster on
 * the test machines): HTTPS on 127.0.0.1 with a generated certificate, bearer-token authentication (401),
 * simulated RBAC denials (403 with the real message shape), LIST with `resourceVersion`, `limit`/`continue`
 * paging served from a consistent snapshot, label and field selectors, WATCH as a chunked stream of JSON lines
 * (ADDED/MODIFIED/DELETED, BOOKMARK when `allowWatchBookmarks` is set), `410 Gone` (an ERROR event carrying a
 * Status with reason Expired, as the real server sends it inside a 200 stream) for resource versions older than
 * the last compaction, the `status` subresource (PUT and merge PATCH), and optimistic concurrency (409 Conflict
 * when an update carries a stale `metadata.resourceVersion`) — which is what Lease-based leader election needs.
 *
 * References: Kubernetes API concepts ("Efficient detection of changes", "Watch bookmarks", "Retrieving large
 * results sets in chunks", "Resource versions"), and the `Status` kind of `meta/v1`.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import {
  API_RESOURCES,
  type ApiResource,
  apiVersionOf,
  parseResourcePath,
  type ResourcePath,
} from './kube/resources.js';
import { fieldOf, parseSelector, type Selector } from './kube/selectors.js';

/** A stored object: plain JSON, always with apiVersion, kind and metadata. */
export type KubeJson = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string };
};

/** One request the server answered, for assertions such as "the informer relisted" or "nobody wrote status". */
export interface RecordedRequest {
  readonly method: string;
  readonly verb: string;
  readonly resource: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** The bearer token the request carried, to tell replicas apart. */
  readonly token: string | undefined;
}

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

interface StoredEvent {
  readonly rv: number;
  readonly resource: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeJson;
  /** The object before a MODIFIED or DELETED event, to roll snapshots back and translate selector moves. */
  readonly old: KubeJson | undefined;
}

interface Watcher {
  readonly resource: ApiResource;
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: Selector;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

export interface FakeApiServerOptions {
  /** Bearer tokens accepted; default one generated token (`server.token`). */
  readonly tokens?: readonly string[] | undefined;
}

const SERVICE_ACCOUNT_USER = 'system:serviceaccount:tidegate:tidegate';

/** A running fake API server. Start with {@link FakeApiServer.start}; always `close()` it. */
export class FakeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's self-signed certificate, to trust as the cluster CA. */
  readonly caPem: string;
  /** The first accepted bearer token. */
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #tokens: ReadonlySet<string>;
  readonly #objects = new Map<string, Map<string, KubeJson>>();
  readonly #events: StoredEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  /** `resource` or `resource/subresource` → denied verbs (empty set: every verb). */
  readonly #forbidden = new Map<string, ReadonlySet<Verb>>();
  #rv = 1000;
  #compactedRv = 0;

  private constructor(server: Server, caPem: string, tokens: readonly string[]) {
    this.#server = server;
    this.caPem = caPem;
    this.#tokens = new Set(tokens);
    this.token = tokens[0] as string;
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const resource of API_RESOURCES) this.#objects.set(resource.resource, new Map());
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const pems = await generate([{ name: 'commonName', value: 'fake-apiserver' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const tokens = options.tokens ?? [`fake-token-${randomUUID()}`];
    const server = createServer({ cert: pems.cert, key: pems.private });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeApiServer(server, pems.cert, tokens);
    server.on('request', (req, res) => {
      fake.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) fake.#sendStatus(res, 500, 'InternalError', String(error));
        else res.destroy();
      });
    });
    return fake;
  }

  /** A kubeconfig (YAML) for this server: CA data inline, bearer token of the user. */
  kubeconfig(token: string = this.token): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: {
            server: this.url,
            'certificate-authority-data': Buffer.from(this.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'tidegate', user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tidegate' } }],
      'current-context': 'fake',
    });
  }

  /** Writes {@link kubeconfig} to `path` and returns the path. */
  async writeKubeconfig(path: string, token: string = this.token): Promise<string> {
    await writeFile(path, this.kubeconfig(token), { mode: 0o600 });
    return path;
  }

  /** The current resource version of the whole store (what the next LIST would report). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /**
   * Creates or replaces an object as a client with full rights would (`kubectl apply`): `stringData` of Secrets
   * is folded into base64 `data` as the real server does; the namespace defaults to `default`.
   */
  apply(input: Readonly<Record<string, unknown>>): KubeJson {
    const resource = resourceOfObject(input);
    const object = normalise(structuredClone(input) as KubeJson, resource);
    const key = keyOf(resource, object.metadata.namespace, object.metadata.name);
    const old = this.#objects.get(resource.resource)?.get(key);
    return old ? this.#commitUpdate(resource, old, object) : this.#commitCreate(resource, object);
  }

  /** Deletes an object; returns false when there was none. */
  remove(kind: string, namespace: string | undefined, name: string): boolean {
    const resource = resourceOfKind(kind);
    const old = this.#objects.get(resource.resource)?.get(keyOf(resource, namespace, name));
    if (!old) return false;
    this.#commitDelete(resource, old);
    return true;
  }

  /** The stored object, or undefined. */
  get(kind: string, namespace: string | undefined, name: string): KubeJson | undefined {
    const resource = resourceOfKind(kind);
    const found = this.#objects.get(resource.resource)?.get(keyOf(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /**
   * Simulates an RBAC denial: requests for `resource` (`secrets`, `ingresses/status`, …) with one of `verbs`
   * (all verbs when empty) answer 403 Forbidden. Open watches of the resource are cut, as revoking access does
   * for a real watch once it reconnects.
   */
  forbid(resource: string, verbs: readonly Verb[] = []): void {
    this.#forbidden.set(resource, new Set(verbs));
  }

  /** Lifts a denial set by {@link forbid}. */
  allow(resource: string): void {
    this.#forbidden.delete(resource);
  }

  /** Open watch streams of `resource` (all resources when undefined). */
  watchCount(resource?: string): number {
    return [...this.#watchers].filter((w) => resource === undefined || w.resource.resource === resource)
      .length;
  }

  /**
   * Cuts open watch streams mid-way: half an event line is written, then the TCP connection is destroyed
   * without ending the chunked body, as a dying API server or a load balancer reset does.
   */
  cutWatches(resource?: string): number {
    let cut = 0;
    for (const watcher of [...this.#watchers]) {
      if (resource !== undefined && watcher.resource.resource !== resource) continue;
      this.#watchers.delete(watcher);
      watcher.res.write('{"type":"MODIFIED","object":{"kind":');
      watcher.res.socket?.destroy();
      cut++;
    }
    return cut;
  }

  /** Ends open watch streams cleanly, as the real server does when a watch's timeout expires. */
  endWatches(resource?: string): number {
    let ended = 0;
    for (const watcher of [...this.#watchers]) {
      if (resource !== undefined && watcher.resource.resource !== resource) continue;
      this.#watchers.delete(watcher);
      watcher.res.end();
      ended++;
    }
    return ended;
  }

  /** Sends a BOOKMARK (the current resource version) to every watcher that asked for bookmarks. */
  bookmark(): void {
    for (const watcher of this.#watchers) {
      if (!watcher.bookmarks) continue;
      writeEvent(watcher.res, 'BOOKMARK', {
        kind: watcher.resource.kind,
        apiVersion: apiVersionOf(watcher.resource),
        metadata: { resourceVersion: String(this.#rv) },
      });
    }
  }

  /**
   * Forgets the event history, as etcd compaction does: a watch or a continued LIST from any resource version
   * before now gets 410 Gone (reason Expired), so clients must relist.
   */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#events.length = 0;
  }

  /** LIST requests answered with 200 for `resource` so far (a relist shows up here). */
  listCount(resource: string): number {
    return this.requests.filter((r) => r.verb === 'list' && r.resource === resource && r.status === 200)
      .length;
  }

  async close(): Promise<void> {
    for (const watcher of this.#watchers) watcher.res.destroy();
    this.#watchers.clear();
    // Stop accepting first, so a client reconnecting in between cannot keep the server open.
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const path = parseResourcePath(url.pathname);
    const verb = verbOf(req.method ?? 'GET', path, query);
    const record = (status: number): void => {
      this.requests.push({
        method: req.method ?? 'GET',
        verb,
        resource: path ? `${path.resource.resource}${path.subresource ? `/${path.subresource}` : ''}` : '',
        path: url.pathname,
        query,
        status,
        token,
      });
    };
    const body = await readBody(req);
    if (token === undefined || !this.#tokens.has(token)) {
      record(this.#sendStatus(res, 401, 'Unauthorized', 'Unauthorized'));
    } else if (!path) {
      record(this.#sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource'));
    } else {
      const denied = this.#denied(path, verb);
      const details = { group: path.resource.group, kind: path.resource.resource, name: path.name };
      record(
        denied
          ? this.#sendStatus(res, 403, 'Forbidden', denied, details)
          : this.#serve(path, verb, query, body, res),
      );
    }
  }

  /** The real RBAC message: `<resource>.<group> "<name>" is forbidden: User "…" cannot <verb> resource …`. */
  #denied(path: ResourcePath, verb: Verb): string | null {
    const full = path.subresource ? `${path.resource.resource}/${path.subresource}` : path.resource.resource;
    const verbs = this.#forbidden.get(full);
    if (!verbs || (verbs.size > 0 && !verbs.has(verb))) return null;
    const qualified = path.resource.group
      ? `${path.resource.resource}.${path.resource.group}`
      : path.resource.resource;
    const scope =
      path.namespace === undefined ? 'at the cluster scope' : `in the namespace "${path.namespace}"`;
    const sub = path.subresource ? `/${path.subresource}` : '';
    return `${qualified}${path.name ? ` "${path.name}"` : ''} is forbidden: User "${SERVICE_ACCOUNT_USER}" cannot ${verb} resource "${path.resource.resource}${sub}" in API group "${path.resource.group}" ${scope}`;
  }

  /** Serves an authorised request; returns the status code sent (200 for a watch that started). */
  #serve(
    path: ResourcePath,
    verb: Verb,
    query: Record<string, string>,
    body: unknown,
    res: ServerResponse,
  ): number {
    const { resource } = path;
    const objects = this.#objects.get(resource.resource) as Map<string, KubeJson>;
    const existing =
      path.name === undefined ? undefined : objects.get(keyOf(resource, path.namespace, path.name));
    const notFound = (): number =>
      this.#sendStatus(res, 404, 'NotFound', `${qualifiedName(resource)} "${path.name}" not found`, {
        name: path.name,
        group: resource.group,
        kind: resource.resource,
      });
    switch (verb) {
      case 'list':
        return this.#list(path, query, res);
      case 'watch':
        return this.#watch(path, query, res);
      case 'get':
        if (!existing) return notFound();
        return sendJson(res, 200, existing);
      case 'create': {
        const object = asObject(body, resource, path);
        if (typeof object === 'string') return this.#sendStatus(res, 400, 'BadRequest', object);
        if (objects.has(keyOf(resource, object.metadata.namespace, object.metadata.name))) {
          return this.#sendStatus(
            res,
            409,
            'AlreadyExists',
            `${qualifiedName(resource)} "${object.metadata.name}" already exists`,
            { name: object.metadata.name, group: resource.group, kind: resource.resource },
          );
        }
        if (resource.statusSubresource) delete object.status;
        return sendJson(res, 201, this.#commitCreate(resource, object));
      }
      case 'update': {
        if (!existing) return notFound();
        const object = asObject(body, resource, path);
        if (typeof object === 'string') return this.#sendStatus(res, 400, 'BadRequest', object);
        const sent = object.metadata.resourceVersion;
        if (sent !== undefined && sent !== existing.metadata.resourceVersion)
          return this.#conflict(res, path);
        return sendJson(
          res,
          200,
          this.#commitUpdate(resource, existing, merged(resource, existing, object, path)),
        );
      }
      case 'patch': {
        if (!existing) return notFound();
        if (!isRecord(body))
          return this.#sendStatus(res, 400, 'BadRequest', 'the patch is not a JSON object');
        const patched = mergePatch(existing, body) as KubeJson;
        const sent = (patched.metadata as Record<string, unknown>).resourceVersion;
        if (isRecord(body.metadata) && body.metadata.resourceVersion !== undefined) {
          if (sent !== existing.metadata.resourceVersion) return this.#conflict(res, path);
        }
        return sendJson(
          res,
          200,
          this.#commitUpdate(resource, existing, merged(resource, existing, patched, path)),
        );
      }
      case 'delete':
        if (!existing) return notFound();
        this.#commitDelete(resource, existing);
        return sendJson(res, 200, existing);
    }
  }

  #conflict(res: ServerResponse, path: ResourcePath): number {
    return this.#sendStatus(
      res,
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedName(path.resource)} "${path.name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name: path.name, group: path.resource.group, kind: path.resource.resource },
    );
  }

  #list(path: ResourcePath, query: Record<string, string>, res: ServerResponse): number {
    const { resource } = path;
    let selectors: { labels: Selector; fields: Selector };
    try {
      selectors = {
        labels: parseSelector(query.labelSelector ?? null, true),
        fields: parseSelector(query.fieldSelector ?? null, false),
      };
    } catch (error) {
      return this.#sendStatus(res, 400, 'BadRequest', (error as Error).message);
    }
    let atRv = this.#rv;
    let after = '';
    if (query.continue) {
      const token = decodeContinue(query.continue);
      if (!token) return this.#sendStatus(res, 400, 'BadRequest', 'invalid continue token');
      if (token.rv < this.#compactedRv) {
        return this.#sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      atRv = token.rv;
      after = token.after;
    }
    const all = [...this.#snapshot(resource, atRv).entries()]
      .filter(([, object]) => inScope(object, path.namespace, selectors.labels, selectors.fields))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([key]) => key > after);
    const limit = query.limit ? Number(query.limit) : 0;
    const page = limit > 0 ? all.slice(0, limit) : all;
    const more = limit > 0 && all.length > limit;
    const metadata: Record<string, unknown> = { resourceVersion: String(atRv) };
    if (more) {
      metadata.continue = encodeContinue({ rv: atRv, after: page[page.length - 1]?.[0] ?? '' });
      metadata.remainingItemCount = all.length - page.length;
    }
    return sendJson(res, 200, {
      kind: `${resource.kind}List`,
      apiVersion: apiVersionOf(resource),
      metadata,
      // Items of a typed list carry no apiVersion/kind of their own, as the real server encodes them.
      items: page.map(([, object]) => {
        const { apiVersion: _a, kind: _k, ...rest } = object;
        return rest;
      }),
    });
  }

  /** The objects of `resource` as they were at resource version `rv`: the current state with later events undone. */
  #snapshot(resource: ApiResource, rv: number): Map<string, KubeJson> {
    const state = new Map(this.#objects.get(resource.resource));
    for (let i = this.#events.length - 1; i >= 0; i--) {
      const event = this.#events[i] as StoredEvent;
      if (event.rv <= rv) break;
      if (event.resource !== resource.resource) continue;
      const key = keyOf(resource, event.object.metadata.namespace, event.object.metadata.name);
      if (event.type === 'ADDED') state.delete(key);
      else state.set(key, event.old as KubeJson);
    }
    return state;
  }

  #watch(path: ResourcePath, query: Record<string, string>, res: ServerResponse): number {
    const { resource } = path;
    let watcher: Watcher;
    try {
      watcher = {
        resource,
        namespace: path.namespace,
        labels: parseSelector(query.labelSelector ?? null, true),
        fields: parseSelector(query.fieldSelector ?? null, false),
        bookmarks: query.allowWatchBookmarks === 'true',
        res,
      };
    } catch (error) {
      return this.#sendStatus(res, 400, 'BadRequest', (error as Error).message);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    const from = query.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      // "Get State and Start at Most Recent" / "Any": synthetic ADDED events for the current state first.
      for (const object of this.#objects.get(resource.resource)?.values() ?? []) {
        if (inScope(object, watcher.namespace, watcher.labels, watcher.fields))
          writeEvent(res, 'ADDED', object);
      }
    } else {
      const rv = Number(from);
      if (!Number.isInteger(rv) || rv < this.#compactedRv) {
        // A watch from a compacted version is accepted (200) and answered with one ERROR event, then closed.
        writeEvent(res, 'ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${from} (${this.#compactedRv})`,
          reason: 'Expired',
          code: 410,
        });
        res.end();
        return 200;
      }
      for (const event of this.#events) {
        if (event.rv > rv && event.resource === resource.resource) this.#deliver(watcher, event);
      }
    }
    this.#watchers.add(watcher);
    res.on('close', () => this.#watchers.delete(watcher));
    const timeout = Number(query.timeoutSeconds ?? 0);
    if (timeout > 0) {
      const timer = setTimeout(() => {
        this.#watchers.delete(watcher);
        res.end();
      }, timeout * 1000);
      res.on('close', () => clearTimeout(timer));
    }
    return 200;
  }

  /** Sends `event` to `watcher` as the watcher's selectors see it: moving out of a selector is a DELETED. */
  #deliver(watcher: Watcher, event: StoredEvent): void {
    const sees = (object: KubeJson | undefined): boolean =>
      object !== undefined && inScope(object, watcher.namespace, watcher.labels, watcher.fields);
    const now = sees(event.object);
    const before = event.type === 'MODIFIED' ? sees(event.old) : now;
    if (event.type === 'MODIFIED' && before !== now) {
      writeEvent(watcher.res, now ? 'ADDED' : 'DELETED', event.object);
    } else if (now) writeEvent(watcher.res, event.type, event.object);
  }

  #commit(event: Omit<StoredEvent, 'rv'> & { rv: number }): void {
    this.#events.push(event);
    for (const watcher of this.#watchers) {
      if (watcher.resource.resource === event.resource) this.#deliver(watcher, event);
    }
  }

  #commitCreate(resource: ApiResource, object: KubeJson): KubeJson {
    const rv = ++this.#rv;
    object.metadata.resourceVersion = String(rv);
    object.metadata.uid ??= randomUUID();
    object.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata.generation = 1;
    this.#objects
      .get(resource.resource)
      ?.set(keyOf(resource, object.metadata.namespace, object.metadata.name), object);
    this.#commit({
      rv,
      resource: resource.resource,
      type: 'ADDED',
      object: structuredClone(object),
      old: undefined,
    });
    return structuredClone(object);
  }

  #commitUpdate(resource: ApiResource, old: KubeJson, next: KubeJson): KubeJson {
    const rv = ++this.#rv;
    const oldMeta = old.metadata as Record<string, unknown>;
    next.metadata.uid = oldMeta.uid;
    next.metadata.creationTimestamp = oldMeta.creationTimestamp;
    // metadata.generation counts changes of the desired state (everything but metadata and status).
    const desired = (o: KubeJson): string => JSON.stringify({ ...o, metadata: undefined, status: undefined });
    next.metadata.generation = Number(oldMeta.generation ?? 1) + (desired(old) === desired(next) ? 0 : 1);
    next.metadata.resourceVersion = String(rv);
    this.#objects
      .get(resource.resource)
      ?.set(keyOf(resource, next.metadata.namespace, next.metadata.name), next);
    this.#commit({
      rv,
      resource: resource.resource,
      type: 'MODIFIED',
      object: structuredClone(next),
      old: structuredClone(old),
    });
    return structuredClone(next);
  }

  #commitDelete(resource: ApiResource, old: KubeJson): void {
    const rv = ++this.#rv;
    this.#objects.get(resource.resource)?.delete(keyOf(resource, old.metadata.namespace, old.metadata.name));
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(rv);
    this.#commit({
      rv,
      resource: resource.resource,
      type: 'DELETED',
      object: gone,
      old: structuredClone(old),
    });
  }

  #sendStatus(
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    details?: Record<string, unknown>,
  ): number {
    return sendJson(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    });
  }
}

function verbOf(method: string, path: ResourcePath | null, query: Record<string, string>): Verb {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      if (query.watch === 'true' || query.watch === '1') return 'watch';
      return path?.name === undefined ? 'list' : 'get';
  }
}

function resourceOfKind(kind: string): ApiResource {
  const resource = API_RESOURCES.find((r) => r.kind === kind);
  if (!resource) throw new Error(`the fake API server does not serve kind ${kind}`);
  return resource;
}

function resourceOfObject(object: Readonly<Record<string, unknown>>): ApiResource {
  const resource = resourceOfKind(String(object.kind));
  if (object.apiVersion !== apiVersionOf(resource))
    throw new Error(
      `${String(object.kind)} is served as ${apiVersionOf(resource)}, not ${String(object.apiVersion)}`,
    );
  return resource;
}

function keyOf(resource: ApiResource, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? 'default'}/${name}` : name;
}

function qualifiedName(resource: ApiResource): string {
  return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
}

/** Server-side defaulting the tests rely on: namespace, and Secret `stringData` folded into base64 `data`. */
function normalise(object: KubeJson, resource: ApiResource): KubeJson {
  if (resource.namespaced) object.metadata.namespace ??= 'default';
  else delete object.metadata.namespace;
  if (resource.kind === 'Secret' && isRecord(object.stringData)) {
    const data = isRecord(object.data) ? { ...object.data } : {};
    for (const [key, value] of Object.entries(object.stringData))
      data[key] = Buffer.from(String(value)).toString('base64');
    object.data = data;
    delete object.stringData;
  }
  return object;
}

/** A request body as an object of `resource` at `path`, or a message saying why not. */
function asObject(body: unknown, resource: ApiResource, path: ResourcePath): KubeJson | string {
  if (!isRecord(body) || !isRecord(body.metadata) || typeof body.metadata.name !== 'string')
    return 'the body is not an object with metadata.name';
  if (path.name !== undefined && body.metadata.name !== path.name)
    return `the name of the object (${body.metadata.name}) does not match the name on the URL (${path.name})`;
  const object = normalise(
    { ...body, apiVersion: apiVersionOf(resource), kind: resource.kind } as KubeJson,
    resource,
  );
  if (path.namespace !== undefined) object.metadata.namespace = path.namespace;
  return object;
}

/**
 * What an update stores: through the `status` subresource only `status` changes; through the main resource
 * everything but `status` (for resources that have the subresource), as the real registry strategies do.
 */
function merged(resource: ApiResource, old: KubeJson, next: KubeJson, path: ResourcePath): KubeJson {
  if (path.subresource === 'status') {
    const result = structuredClone(old);
    if (next.status === undefined) delete result.status;
    else result.status = next.status;
    return result;
  }
  if (resource.statusSubresource) {
    const result = { ...next };
    if (old.status === undefined) delete result.status;
    else result.status = structuredClone(old.status);
    return result as KubeJson;
  }
  return next;
}

/** RFC 7386 JSON Merge Patch (strategic merge patches are applied the same way; lists are replaced). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function inScope(
  object: KubeJson,
  namespace: string | undefined,
  labels: Selector,
  fields: Selector,
): boolean {
  if (namespace !== undefined && object.metadata.namespace !== namespace) return false;
  const objectLabels = isRecord(object.metadata.labels) ? object.metadata.labels : {};
  return (
    labels.matches((key) => {
      const value = objectLabels[key];
      return typeof value === 'string' ? value : undefined;
    }) && fields.matches((key) => fieldOf(object, key))
  );
}

function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function encodeContinue(token: { rv: number; after: string }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): { rv: number; after: string } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.rv === 'number' && typeof parsed.after === 'string')
      return { rv: parsed.rv, after: parsed.after };
  } catch {
    // Falls through to "invalid".
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
