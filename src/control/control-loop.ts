import type { Clock } from '../core/clock.js';
import type { Runner } from '../core/lifecycle.js';
import type { EndpointStateRegistry } from '../endpoints/endpoint-state-registry.js';
import type { ObjectStatus } from '../ir/types.js';
import type { ObjectSet } from '../objects/envelope.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../providers/provider.js';
import type { ResilienceRegistry } from '../resilience/resilience-registry.js';
import { compile } from '../runtime/compile.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import { type TranslateOptions, translate } from '../translate/translate.js';
import { loadErrorStatus } from './load-error-status.js';
import { ObjectSetMerger } from './object-set-merger.js';

export interface ReloadObserver {
  reloadSucceeded(version: number, rejectedCount: number, atMs: number): void;
  reloadFailed(): void;
}

export interface ControlLoopOptions {
  readonly providers: readonly Provider[];
  readonly translateOptions: TranslateOptions;
  /** Quiet period after a change before translating, so bursts across providers build one snapshot. */
  readonly debounceMs: number;
}

export interface ControlLoopDeps {
  readonly holder: SnapshotHolder;
  readonly state: EndpointStateRegistry;
  /** Backend guards and canary positions kept across swaps; absent, each table gets fresh ones. */
  readonly resilience?: ResilienceRegistry | undefined;
  readonly reloads: ReloadObserver;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface ReloadInfo {
  readonly atMs: number;
  readonly ok: boolean;
  readonly version: number;
  readonly error?: string;
}

/**
 * Runs the providers and turns their object sets into live tables: merge → translate → compile → swap. Translation
 * and compilation are synchronous, so a burst of changes arriving while one build runs is coalesced into the next
 * build of the latest sets; nothing is queued twice.
 */
export class ControlLoop implements Runner {
  readonly name = 'control';
  readonly #options: ControlLoopOptions;
  readonly #deps: ControlLoopDeps;
  readonly #merger = new ObjectSetMerger();
  readonly #abort = new AbortController();
  #runs: Promise<void>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #version = 0;
  /** Set once a table built after every provider delivered its first set is live; never unset. */
  #complete = false;
  #lastReload: ReloadInfo | null = null;
  #lastFindings = '';

  constructor(options: ControlLoopOptions, deps: ControlLoopDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  /** True once every provider delivered its first set and a table built from all of them is live. */
  get ready(): boolean {
    return this.#complete;
  }

  get lastReload(): ReloadInfo | null {
    return this.#lastReload;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.#abort.abort(), { once: true });
    const emit = (set: ObjectSet): void => this.#onSet(set);
    this.#runs = this.#options.providers.map((provider) =>
      provider.run(emit, this.#abort.signal).catch((error: unknown) => {
        this.#deps.logger.error({ err: error, provider: provider.name }, 'provider stopped with an error');
      }),
    );
  }

  async close(): Promise<void> {
    this.#abort.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await Promise.all(this.#runs);
  }

  #onSet(set: ObjectSet): void {
    if (this.#abort.signal.aborted) return;
    const firstOfProvider = !this.#merger.synced().has(set.provider);
    if (!this.#merger.update(set) && !firstOfProvider) return;
    if (this.#timer) return;
    // Builds go out at once until one holds every provider's first set, so that readiness is not delayed by
    // the debounce.
    const delay = this.#complete ? this.#options.debounceMs : 0;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#rebuild();
    }, delay);
  }

  #rebuild(): void {
    const { logger, holder, state, resilience, reloads, clock } = this.#deps;
    const started = clock.monotonic();
    // A provider that delivered after the last build is synced but not yet in the live table: readiness must wait
    // for the build that includes it, or /readyz answers 200 while the table still lacks its routes.
    const complete = this.#merger.synced().size === this.#options.providers.length;
    const merged = this.#merger.merged();
    try {
      const result = translate(merged.objects, this.#options.translateOptions);
      const statuses: ObjectStatus[] = [...merged.errors.map(loadErrorStatus), ...result.statuses];
      const version = this.#version + 1;
      const table = compile(result.ir, statuses, { version, state, resilience });
      holder.swap(table);
      // Tables still draining keep the state objects they hold; only state of names gone from the live table is dropped.
      state.retain(table.backends.keys());
      resilience?.retain(
        table.backends.keys(),
        result.ir.virtualHosts.flatMap((vhost) => vhost.routes.map((route) => route.name)),
      );
      this.#version = version;
      if (complete) this.#complete = true;
      const rejected = statuses.filter(isRejected).length;
      reloads.reloadSucceeded(version, rejected, clock.now());
      this.#lastReload = { atMs: clock.now(), ok: true, version };
      this.#logFindings(statuses.filter((s) => isRejected(s) || s.warnings.length > 0));
      // The first snapshot completes the startup summary; later swaps are routine.
      logger[version === 1 ? 'info' : 'debug'](
        {
          version,
          objects: merged.objects.length,
          virtualHosts: result.ir.virtualHosts.length,
          routes: result.ir.virtualHosts.reduce((count, vhost) => count + vhost.routes.length, 0),
          backends: result.ir.backends.length,
          certificates: result.ir.certificates.length,
          rejected,
          ms: Math.round((clock.monotonic() - started) * 100) / 100,
        },
        'snapshot swapped',
      );
    } catch (error) {
      // Translation never throws on user input; reaching this is a bug. Keep serving the previous table.
      reloads.reloadFailed();
      this.#lastReload = { atMs: clock.now(), ok: false, version: this.#version, error: String(error) };
      logger.error({ err: error }, 'building a snapshot failed; the previous one keeps serving');
    }
  }

  /** Logs rejected objects and warnings when they change, not on every reload. */
  #logFindings(findings: readonly ObjectStatus[]): void {
    const text = JSON.stringify(findings);
    if (text === this.#lastFindings) return;
    this.#lastFindings = text;
    for (const status of findings) {
      const failed = status.conditions.filter((c) => c.status === 'False');
      this.#deps.logger.warn(
        {
          object: `${status.ref.kind}/${status.ref.namespace ? `${status.ref.namespace}/` : ''}${status.ref.name}`,
          origin: status.origin?.file ? `${status.origin.file}:${status.origin.line ?? ''}` : undefined,
          problems: failed.map((c) => `${c.type}=${c.reason}: ${c.message}`),
          warnings: status.warnings.length > 0 ? status.warnings : undefined,
        },
        failed.length > 0 ? 'object rejected' : 'object accepted with warnings',
      );
    }
  }
}

/** An object counts as rejected when any condition is False; warnings alone do not reject. */
export function isRejected(status: ObjectStatus): boolean {
  return status.conditions.some((c) => c.status === 'False');
}
