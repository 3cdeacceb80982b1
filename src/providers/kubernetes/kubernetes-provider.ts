import { type KubernetesListObject, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { ObjectSet } from '../../objects/envelope.js';
import type { Logger } from '../../observability/logger.js';
import type { Provider } from '../provider.js';
import { type KubeApi, KubeApiError } from './kube-api.js';
import { type KindContents, kubeObjectSet, type RawKubeObject } from './kube-object-set.js';
import { collectionPath, WATCHED_KINDS, type WatchedKind } from './watched-kinds.js';

export interface KubernetesProviderOptions {
  readonly api: KubeApi;
  /** Namespaces to watch; empty watches the whole cluster (one cluster-wide informer per kind). */
  readonly namespaces: readonly string[];
  /** Label selector for Ingresses (`app=web,tier!=test`); undefined selects all. */
  readonly labelSelector: string | undefined;
  /** Quiet period that turns a burst of watch events into one emitted set. */
  readonly debounceMs: number;
  /** Page size of LIST requests (`limit`), so a large cluster is listed in chunks. */
  readonly pageSize: number;
  readonly logger: Logger;
}

/** Retry after an informer stopped with an error: client-go's reflector backs off from ~1 s up to 30 s. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** One informer: a kind in one namespace (or cluster-wide). */
interface KindInformer {
  readonly kind: WatchedKind;
  readonly namespace: string | undefined;
  readonly informer: ListWatch<KubernetesObject>;
  synced: boolean;
  retryMs: number;
  retryTimer: NodeJS.Timeout | null;
  /** `performance.now()` of the last error; a long quiet spell since then resets the backoff. */
  lastErrorAt: number;
  /** The last error logged, so a retry loop against the same 403 logs once, not every attempt. */
  lastError: string;
}

/**
 * Kubernetes ingress-controller mode: `@kubernetes/client-node` informers (`ListWatch`: list with paging, then
 * watch from the list's resourceVersion, resume after a dropped stream, relist after 410 Gone) for IngressClass,
 * Ingress, Service, EndpointSlice and TLS Secret. Emits the complete set (debounced) once every informer has
 * listed — so `/readyz` waits for the initial sync of every kind — and again after every change. An informer that
 * stops with an error (403 from RBAC, the server unreachable) is reported and restarted with backoff; the
 * last good set keeps serving meanwhile.
 */
export class KubernetesProvider implements Provider {
  readonly name = 'kubernetes';
  readonly #options: KubernetesProviderOptions;
  readonly #informers: KindInformer[] = [];

  constructor(options: KubernetesProviderOptions) {
    this.#options = options;
  }

  /** The cached object of `kind` (as the API server sent it), for the status writer; undefined when unknown. */
  cached(kind: string, namespace: string, name: string): RawKubeObject | undefined {
    for (const entry of this.#informers) {
      if (entry.kind.kind !== kind) continue;
      if (entry.namespace !== undefined && entry.namespace !== namespace) continue;
      const found = entry.informer.get(name, entry.kind.namespaced ? namespace : undefined);
      if (found) return found as RawKubeObject;
    }
    return undefined;
  }

  async run(emit: (set: ObjectSet) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { api, namespaces, debounceMs, logger } = this.#options;
    let timer: NodeJS.Timeout | null = null;
    let emitted = false;

    const schedule = (): void => {
      if (signal.aborted || timer) return;
      // The Provider contract: the first emit marks the provider synced, so nothing goes out before every kind listed.
      if (!this.#informers.every((entry) => entry.synced)) return;
      timer = setTimeout(() => {
        timer = null;
        if (signal.aborted) return;
        const contents: KindContents[] = WATCHED_KINDS.map((kind) => ({
          kind,
          objects: this.#informers
            .filter((entry) => entry.kind === kind)
            .flatMap((entry) => entry.informer.list() as readonly RawKubeObject[]),
        }));
        const set = kubeObjectSet(contents);
        if (!emitted) {
          emitted = true;
          logger.info(
            { objects: set.objects.length, informers: this.#informers.length },
            'kubernetes: initial sync complete',
          );
        }
        emit(set);
      }, debounceMs);
    };

    const watch = new StoppableWatch(api.config, signal);
    const scopes: (string | undefined)[] = namespaces.length > 0 ? [...namespaces] : [undefined];
    for (const kind of WATCHED_KINDS) {
      for (const namespace of kind.namespaced ? scopes : [undefined]) {
        const entry = this.#informer(kind, namespace, watch, schedule);
        this.#informers.push(entry);
      }
    }
    logger.info(
      {
        server: api.server,
        namespaces: namespaces.length > 0 ? namespaces : 'all',
        labelSelector: this.#options.labelSelector,
      },
      'kubernetes: starting informers',
    );
    for (const entry of this.#informers) this.#start(entry, signal);

    await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
    if (timer) clearTimeout(timer);
    for (const entry of this.#informers) {
      if (entry.retryTimer) clearTimeout(entry.retryTimer);
      await entry.informer.stop();
    }
  }

  #informer(
    kind: WatchedKind,
    namespace: string | undefined,
    watch: Watch,
    changed: () => void,
  ): KindInformer {
    const labelSelector = kind.selectedByLabel ? this.#options.labelSelector : undefined;
    const path = collectionPath(kind, namespace);
    const entry: KindInformer = {
      kind,
      namespace,
      // ListWatch from the official client; not auto-started, so handlers are attached before the first list.
      informer: new ListWatch(
        path,
        watch,
        async () => {
          const list = await this.#listAll(path, labelSelector, kind.fieldSelector);
          // The cache is filled right after this resolves, before any timer fires: `changed` may schedule the emit.
          if (!entry.synced) {
            entry.synced = true;
            this.#options.logger.debug(
              { kind: kind.kind, namespace, items: list.items.length },
              'kubernetes: listed',
            );
          }
          entry.retryMs = 0;
          entry.lastError = '';
          changed();
          return list;
        },
        false,
        labelSelector,
        kind.fieldSelector,
      ),
      synced: false,
      retryMs: 0,
      retryTimer: null,
      lastErrorAt: 0,
      lastError: '',
    };
    entry.informer.on('change', changed);
    return entry;
  }

  #start(entry: KindInformer, signal: AbortSignal): void {
    const { logger } = this.#options;
    entry.informer.on('error', (error: unknown) => {
      if (signal.aborted) return;
      // ListWatch stops on any error other than 410 Gone and a client-side timeout; restart it with backoff.
      const now = performance.now();
      if (now - entry.lastErrorAt > RETRY_MAX_MS) entry.retryMs = 0;
      entry.lastErrorAt = now;
      entry.retryMs = Math.min(entry.retryMs > 0 ? entry.retryMs * 2 : RETRY_BASE_MS, RETRY_MAX_MS);
      const problem = describeError(error, entry);
      const fields = { kind: entry.kind.kind, namespace: entry.namespace, retryInMs: entry.retryMs };
      if (problem.text !== entry.lastError) {
        entry.lastError = problem.text;
        logger[problem.severe ? 'error' : 'warn'](fields, problem.text);
      } else logger.debug(fields, problem.text);
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = null;
        if (!signal.aborted) void entry.informer.start();
      }, entry.retryMs);
    });
    void entry.informer.start();
  }

  /** LIST in pages of `pageSize` (`limit`/`continue`); all pages come from one consistent snapshot. */
  async #listAll(
    path: string,
    labelSelector: string | undefined,
    fieldSelector: string | undefined,
  ): Promise<KubernetesListObject<KubernetesObject>> {
    const items: KubernetesObject[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#options.api.request<KubernetesListObject<KubernetesObject>>('GET', path, {
        query: { limit: String(this.#options.pageSize), continue: next, labelSelector, fieldSelector },
      });
      items.push(...page.items);
      resourceVersion = page.metadata?.resourceVersion ?? '';
      next = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
    } while (next);
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
  }
}

/**
 * The client's `Watch`, tied to the provider's lifetime. `ListWatch.stop()` aborts only a watch whose response
 * has already arrived, and a list in flight goes on to open a watch after `stop()`; such late streams would
 * outlive the provider. Here every stream is aborted when `signal` fires, whenever it was opened.
 */
class StoppableWatch extends Watch {
  readonly #signal: AbortSignal;
  readonly #open = new Set<AbortController>();

  constructor(config: KubeApi['config'], signal: AbortSignal) {
    super(config);
    this.#signal = signal;
    signal.addEventListener('abort', () => {
      for (const controller of this.#open) controller.abort();
      this.#open.clear();
    });
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.#signal.aborted) return abortedController();
    let controller: AbortController | undefined;
    const finished = (err: unknown): void => {
      if (controller) this.#open.delete(controller);
      done(err);
    };
    controller = await super.watch(path, queryParams, callback, finished);
    if (this.#signal.aborted) controller.abort();
    else this.#open.add(controller);
    return controller;
  }
}

function abortedController(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}

/**
 * A message an operator can act on. 401/403 are configuration problems (token, ClusterRole) and logged as errors
 * naming the resource; anything else (a dropped connection, a restarting API server) is a warning, retried.
 */
function describeError(error: unknown, entry: KindInformer): { text: string; severe: boolean } {
  const where = `${entry.kind.resource}${entry.namespace ? ` in namespace ${entry.namespace}` : ''}`;
  const status =
    error instanceof KubeApiError
      ? error.statusCode
      : Number((error as { statusCode?: unknown } | undefined)?.statusCode ?? 0);
  const detail = error instanceof Error ? error.message : String(error);
  if (status === 403) {
    return {
      text: `kubernetes: access to ${where} is forbidden (403): ${detail}; grant get/list/watch on ${entry.kind.resource} (see deploy/rbac.yaml)`,
      severe: true,
    };
  }
  if (status === 401) {
    return {
      text: `kubernetes: the API server rejected the credentials (401) watching ${where}`,
      severe: true,
    };
  }
  return { text: `kubernetes: watching ${where} failed, retrying: ${detail}`, severe: false };
}
