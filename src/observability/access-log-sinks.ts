import pino from 'pino';

/** pino's SonicBoom: an append-only writer that buffers in memory and writes with `fs.write` off the caller. */
type SonicBoom = ReturnType<typeof pino.destination>;

/** Access lines held in memory while the disk (or the reader of stdout) lags; beyond this, lines are dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Where an access log writes: `stdout` or a file path. */
export interface AccessLogSink {
  write(text: string): void;
}

/**
 * The writers of every access log of the process, one per destination so that entry points sharing a file
 * share its writer (and its order). Writes are asynchronous and buffered (SonicBoom), so a slow disk never
 * blocks the event loop; lines beyond `MAX_BUFFERED_BYTES` are dropped and counted rather than held without
 * bound. `reopen` (on SIGUSR1) closes and reopens every file at its path, what logrotate's `postrotate`
 * expects after it renamed the file.
 */
export class AccessLogSinks {
  readonly #writers = new Map<string, SonicBoom>();
  #dropped = 0;

  /** The sink for `path` (`stdout` or an absolute file path, created with its directories when missing). */
  get(path: string): AccessLogSink {
    let writer = this.#writers.get(path);
    if (writer === undefined) {
      writer = pino.destination({
        dest: path === 'stdout' ? 1 : path,
        sync: false,
        mkdir: path !== 'stdout',
        maxLength: MAX_BUFFERED_BYTES,
      });
      writer.on('drop', (data: string) => {
        this.#dropped += countLines(data);
      });
      this.#writers.set(path, writer);
    }
    const target = writer;
    return { write: (text) => void target.write(text) };
  }

  /** Access lines dropped because a destination could not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Reopens every file destination at its path (after a rotation renamed it). */
  reopen(): void {
    for (const [path, writer] of this.#writers) if (path !== 'stdout') writer.reopen();
  }

  /** Writes out what is buffered and closes every destination (stdout stays open). */
  close(): void {
    for (const [path, writer] of this.#writers) {
      try {
        writer.flushSync();
      } catch {
        // Nothing buffered, or the file is gone: there is nothing left to save.
      }
      if (path !== 'stdout') writer.end();
    }
    this.#writers.clear();
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
