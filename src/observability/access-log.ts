import {
  type AccessLogEntry,
  type AccessLogSource,
  formatCombinedLine,
  formatJsonLine,
} from './access-log-format.js';
import type { AccessLogSink } from './access-log-sinks.js';

export type { AccessLogSource } from './access-log-format.js';

/** One entry point's access log settings (see `AccessLogConfig` in the static configuration). */
export interface AccessLogOptions {
  readonly entryPoint: string;
  readonly format: 'json' | 'combined';
  /** Fraction (0–1) of the requests passing `statuses` that are written. */
  readonly sample: number;
  /** Inclusive status ranges to write; empty for all. */
  readonly statuses: readonly { readonly min: number; readonly max: number }[];
  /** For sampling; `Math.random` unless a test fixes it. */
  readonly random?: (() => number) | undefined;
  /** Wall-clock milliseconds; `Date.now` unless a test fixes it. */
  readonly now?: (() => number) | undefined;
}

/**
 * The access log of one entry point. `record` runs at the end of every request and only keeps a reference to
 * the request's own object (the data plane's `Exchange`, which already holds every field of the line) with its
 * status, duration and time; lines are formatted and handed to the sink in one batch per event-loop turn
 * (`setImmediate`), after the responses of that turn went out.
 */
export class AccessLog {
  readonly #entryPoint: string;
  #format: (entry: AccessLogEntry) => string = formatJsonLine;
  #sample = 1;
  #statuses: AccessLogOptions['statuses'] = [];
  readonly #random: () => number;
  readonly #now: () => number;
  #sink: AccessLogSink;
  /** Parallel arrays rather than an object per line: the request path allocates nothing (amortised). */
  readonly #sources: AccessLogSource[] = [];
  readonly #status: number[] = [];
  readonly #seconds: number[] = [];
  readonly #time: number[] = [];
  #scheduled = false;

  constructor(options: AccessLogOptions, sink: AccessLogSink) {
    this.#entryPoint = options.entryPoint;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#sink = sink;
    this.reconfigure(options, sink);
  }

  /** Applies new settings (SIGHUP); lines already recorded are written with the new ones. */
  reconfigure(options: Pick<AccessLogOptions, 'format' | 'sample' | 'statuses'>, sink: AccessLogSink): void {
    this.#format = options.format === 'json' ? formatJsonLine : formatCombinedLine;
    this.#sample = options.sample;
    this.#statuses = options.statuses;
    this.#sink = sink;
  }

  /** A request finished with `status` after `seconds`; the line is written in the next batch. */
  record(source: AccessLogSource, status: number, seconds: number): void {
    if (!this.#wanted(status)) return;
    this.#sources.push(source);
    this.#status.push(status);
    this.#seconds.push(seconds);
    this.#time.push(this.#now());
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
  }

  /** Formats and writes every pending line now (also used at shutdown). */
  flush(): void {
    this.#scheduled = false;
    const count = this.#sources.length;
    if (count === 0) return;
    let text = '';
    for (let i = 0; i < count; i++) {
      text += this.#format({
        source: this.#sources[i] as AccessLogSource,
        entryPoint: this.#entryPoint,
        status: this.#status[i] as number,
        seconds: this.#seconds[i] as number,
        timeMs: this.#time[i] as number,
      });
    }
    this.#sources.length = 0;
    this.#status.length = 0;
    this.#seconds.length = 0;
    this.#time.length = 0;
    this.#sink.write(text);
  }

  readonly #onImmediate = (): void => this.flush();

  #wanted(status: number): boolean {
    const statuses = this.#statuses;
    if (statuses.length > 0) {
      let match = false;
      for (let i = 0; i < statuses.length; i++) {
        const range = statuses[i] as { readonly min: number; readonly max: number };
        if (status >= range.min && status <= range.max) {
          match = true;
          break;
        }
      }
      if (!match) return false;
    }
    return this.#sample >= 1 || this.#random() < this.#sample;
  }
}
