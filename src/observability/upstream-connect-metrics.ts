import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Seconds; a local connect takes well under a millisecond, a TLS handshake across a region tens of them. */
const CONNECT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The part of undici's `undici:client:*` connect messages read here (undici/docs/api/DiagnosticsChannel.md). */
interface ConnectMessage {
  readonly connector: object;
}

/**
 * `tidegate_upstream_connect_duration_seconds` and `tidegate_upstream_connect_errors_total`, measured off the
 * request path through undici's diagnostics channels (`beforeConnect`, `connected`, `connectError`), which
 * undici publishes only while someone subscribes. A connect's messages carry no id, only the connector
 * function, which one pool shares between its connections: starts are queued per connector and matched in
 * order, so overlapping connects to one endpoint may swap their durations, never lose or invent one.
 */
export class UpstreamConnectMetrics {
  readonly #duration: Histogram;
  readonly #errors: Counter;
  readonly #pending = new WeakMap<object, number[]>();
  #subscribed = false;

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'tidegate_upstream_connect_duration_seconds',
      help: 'Time to open a connection (TCP, and TLS for HTTPS upstreams) to an upstream endpoint.',
      buckets: CONNECT_BUCKETS,
      registers: [registry],
    });
    this.#errors = new Counter({
      name: 'tidegate_upstream_connect_errors_total',
      help: 'Connections to upstream endpoints that could not be opened (refused, timed out, TLS failure).',
      registers: [registry],
    });
  }

  /** Starts listening to undici's connect events; idempotent. */
  start(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    subscribe('undici:client:beforeConnect', this.#onBefore);
    subscribe('undici:client:connected', this.#onConnected);
    subscribe('undici:client:connectError', this.#onError);
  }

  /** Stops listening; safe when never started. */
  close(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    unsubscribe('undici:client:beforeConnect', this.#onBefore);
    unsubscribe('undici:client:connected', this.#onConnected);
    unsubscribe('undici:client:connectError', this.#onError);
  }

  readonly #onBefore = (message: unknown): void => {
    const { connector } = message as ConnectMessage;
    let starts = this.#pending.get(connector);
    if (starts === undefined) {
      starts = [];
      this.#pending.set(connector, starts);
    }
    starts.push(performance.now());
  };

  readonly #onConnected = (message: unknown): void => {
    const started = this.#pending.get((message as ConnectMessage).connector)?.shift();
    if (started !== undefined) this.#duration.observe((performance.now() - started) / 1000);
  };

  readonly #onError = (message: unknown): void => {
    this.#pending.get((message as ConnectMessage).connector)?.shift();
    this.#errors.inc();
  };
}
