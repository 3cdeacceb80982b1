import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { ObjectSet } from '../../objects/envelope.js';
import type { Logger } from '../../observability/logger.js';
import type { Provider } from '../provider.js';
import { countByKind } from './kind-counts.js';
import {
  manifestDirectories,
  type ProgressReporter,
  progressMessage,
  readObjectFiles,
} from './load-object-files.js';

export { loadObjectFiles } from './load-object-files.js';

export interface FileProviderOptions {
  /** Files or directories; relative paths are taken against the working directory. */
  readonly paths: readonly string[];
  /** Keep watching after the first set; false emits once and returns. */
  readonly watch: boolean;
  /** Quiet period that coalesces a burst of file events into one reload. */
  readonly debounceMs: number;
  readonly logger: Logger;
  /** How often a running load logs its progress, ms; default 1000 (loads that end sooner log none). */
  readonly progressEveryMs?: number | undefined;
}

/** Above this many objects the load summary is logged at info rather than debug, since such reloads take a while. */
const LARGE_SET = 1000;
const PROGRESS_EVERY_MS = 1000;

/** One directory to watch and which event names in it concern the configured paths. */
interface WatchTarget {
  readonly dir: string;
  /** Inode of `dir`, so a directory deleted and created again gets a fresh watcher. */
  readonly ino: number;
  readonly accepts: (name: string | null) => boolean;
}

const anyName = (): boolean => true;

/**
 * Kubernetes manifests on disk. Emits the complete set at start and, when watching, again after every change
 * (debounced), re-reading everything: whole sets keep the provider stateless and a reload of a few thousand
 * objects is cheap next to translation. Directories are watched with every directory below them; for files and missing paths the
 * parent (or nearest existing ancestor) is watched, because editors save by renaming a new file over the old one
 * and ConfigMap volumes swap a `..data` symlink, both of which replace the inode a direct watch would follow.
 */
export class FileProvider implements Provider {
  readonly name = 'file';
  readonly #options: FileProviderOptions;

  constructor(options: FileProviderOptions) {
    this.#options = options;
  }

  async run(emit: (set: ObjectSet) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { paths, debounceMs, logger } = this.#options;
    // Keyed by directory and inode; `filters` says which event names in it matter to the configured paths.
    const watchers = new Map<string, FSWatcher>();
    const filters = new Map<string, WatchTarget['accepts'][]>();
    const missing = new Set<string>();
    let timer: NodeJS.Timeout | null = null;
    let running: Promise<void> | null = null;
    let again = false;

    // A load long enough to report progress is a large one: its summary goes out at info as well.
    let reported = false;
    const progress: ProgressReporter = {
      everyMs: this.#options.progressEveryMs ?? PROGRESS_EVERY_MS,
      report: (progress) => {
        reported = true;
        logger.info(progress, progressMessage(progress));
      },
    };

    const load = async (): Promise<void> => {
      // Watch before reading: a change made while reading then still triggers the next reload.
      if (this.#options.watch) await replan();
      reported = false;
      const started = performance.now();
      const { set, fileCount } = await readObjectFiles(paths, this.name, progress);
      if (signal.aborted) return;
      const level = reported || set.objects.length > LARGE_SET ? 'info' : 'debug';
      logger[level](
        {
          objects: set.objects.length,
          files: fileCount,
          errors: set.errors.length,
          kinds: countByKind(set.objects),
          ms: Math.round(performance.now() - started),
        },
        `loaded ${set.objects.length} objects from ${fileCount} files`,
      );
      emit(set);
    };

    // Reloads never overlap: an event during a reload asks for one more pass, so the last change always lands.
    const reload = (): Promise<void> => {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        do {
          again = false;
          await load().catch((error: unknown) => logger.error({ err: error }, 'file provider reload failed'));
        } while (again && !signal.aborted);
        running = null;
      })();
      return running;
    };

    const schedule = (): void => {
      if (signal.aborted) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void reload();
      }, debounceMs);
    };

    const replan = async (): Promise<void> => {
      const wanted = new Map<string, WatchTarget[]>();
      for (const path of paths) {
        const absolute = resolve(path);
        const { exists, targets } = await watchTargets(absolute);
        for (const target of targets) {
          const key = `${target.dir}\0${target.ino}`;
          wanted.set(key, [...(wanted.get(key) ?? []), target]);
        }
        if (!exists && !missing.has(absolute))
          logger.warn({ path }, 'path does not exist (yet); watching for it');
        if (exists) missing.delete(absolute);
        else missing.add(absolute);
      }
      if (signal.aborted) return;
      for (const [key, watcher] of watchers) {
        if (wanted.has(key)) continue;
        watcher.close();
        watchers.delete(key);
        filters.delete(key);
      }
      for (const [key, targets] of wanted) {
        filters.set(
          key,
          targets.map((target) => target.accepts),
        );
        if (watchers.has(key)) continue;
        const { dir } = targets[0] as WatchTarget;
        try {
          const watcher = watch(dir, (_event, name) => {
            if (filters.get(key)?.some((accepts) => accepts(name))) schedule();
          });
          watcher.on('error', (error: Error) => {
            // Typically the watched directory went away; the reload re-plans from what exists now.
            logger.warn({ err: error, dir }, 'file watch failed; re-reading');
            watcher.close();
            watchers.delete(key);
            filters.delete(key);
            schedule();
          });
          watchers.set(key, watcher);
        } catch (error) {
          logger.warn({ err: error, dir }, 'cannot watch directory');
        }
      }
    };

    await reload();
    if (this.#options.watch && !signal.aborted) {
      await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
    }
    if (timer) clearTimeout(timer);
    // A reload in flight checks `signal` before emitting; wait for it so nothing is emitted after `run` resolves.
    await running;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  }
}

/**
 * What to watch for one configured path. A directory: itself and every directory below it, each non-recursively
 * (see `manifestDirectories`; new subdirectories are picked up by the re-plan of the reload their creation
 * triggers), plus its parent for the directory's own name (deleted, recreated, or a symlink swapped). A file: its parent, for its name and for `..`-prefixed names (the
 * ConfigMap `..data` swap). A missing path: the nearest existing ancestor, for the next name on the way down.
 */
async function watchTargets(path: string): Promise<{ exists: boolean; targets: WatchTarget[] }> {
  const targets: WatchTarget[] = [];
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) {
    for (const dir of await manifestDirectories(path)) {
      const dirInfo = await stat(dir).catch(() => null);
      if (dirInfo) targets.push({ dir, ino: dirInfo.ino, accepts: anyName });
    }
  }
  const name = basename(path);
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const parent = await stat(dir).catch(() => null);
    if (parent?.isDirectory()) {
      const next = relative(dir, path).split(sep)[0] as string;
      const accepts = info
        ? (event: string | null) => event === null || event === name || event.startsWith('..')
        : (event: string | null) => event === null || event === next;
      targets.push({ dir, ino: parent.ino, accepts });
      return { exists: info !== null, targets };
    }
    if (dirname(dir) === dir) return { exists: info !== null, targets };
  }
}
