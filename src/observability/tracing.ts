import { randomFillSync } from 'node:crypto';
import {
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Tracing settings (see `TracingConfig` in the static configuration). */
export interface TracingOptions {
  readonly serviceName: string;
  /** Fraction (0–1) of new traces (no incoming `traceparent`) that are sampled. */
  readonly sampleRate: number;
  /** OTLP/HTTP export of sampled spans; null propagates trace context without exporting. */
  readonly otlp: {
    readonly endpoint: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
  } | null;
  /** For sampling; `Math.random` unless a test fixes it. */
  readonly random?: (() => number) | undefined;
}

/** The trace context of one request, as `Tracing.begin` established it. */
export interface RequestTrace {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** The gateway's server span, exported at `end`; null when not sampled or nothing is exported. */
  readonly span: Span | null;
}

/** What `Tracing.end` records on the span (OpenTelemetry HTTP server semantic conventions). */
export interface TraceEnd {
  readonly status: number;
  readonly entryPoint: string;
  readonly route: string;
  readonly service: string;
  /** `address:port` of the upstream endpoint, or `''`. */
  readonly upstreamAddress: string;
  readonly upstreamPort: number;
}

const TRACEPARENT = 'traceparent';
/** version "00" - trace-id - parent-id - flags (W3C Trace Context §3.2.2). */
const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/;
const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';
/** Batches leave at most this often; the collector sees a span within about a second of its request. */
const EXPORT_DELAY_MS = 1_000;

/**
 * W3C Trace Context for the data plane: every request forwarded upstream carries a `traceparent` naming the
 * gateway's span as parent, continuing the client's trace when it sent a valid one (its sampled flag decides,
 * parent-based sampling) and starting a new one otherwise (sampled with `sampleRate`). `tracestate` is vendor
 * data and passes through unchanged. Sampled spans go to an OTLP/HTTP collector through OpenTelemetry's
 * exporter and batch processor. Constructed only when `tracing` is configured: off, the data plane skips it.
 */
export class Tracing {
  readonly #sampleRate: number;
  readonly #random: () => number;
  readonly #provider: BasicTracerProvider | null;
  readonly #tracer: Tracer | null;
  readonly #idBytes = Buffer.alloc(16);

  constructor(options: TracingOptions) {
    this.#sampleRate = options.sampleRate;
    this.#random = options.random ?? Math.random;
    if (options.otlp === null) {
      this.#provider = null;
      this.#tracer = null;
      return;
    }
    const exporter = new OTLPTraceExporter({
      url: options.otlp.endpoint,
      headers: { ...options.otlp.headers },
      timeoutMillis: options.otlp.timeoutMs,
    });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      // The sampling decision is taken here (it must also shape the propagated header), never by the SDK.
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: EXPORT_DELAY_MS })],
    });
    this.#tracer = this.#provider.getTracer('tidegate');
  }

  /**
   * Establishes the request's trace context and writes the `traceparent` the upstream receives into
   * `headers` (the flat upstream header array: replaced in place, or appended).
   */
  begin(headers: string[], method: string): RequestTrace {
    let index = -1;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === TRACEPARENT.length && name.toLowerCase() === TRACEPARENT) {
        index = i + 1;
        break;
      }
    }
    const parent = index === -1 ? null : parseTraceparent(headers[index] as string);
    const sampled = parent === null ? this.#random() < this.#sampleRate : parent.sampled;
    let traceId: string;
    let spanId: string;
    let span: Span | null = null;
    if (sampled && this.#tracer !== null) {
      const context =
        parent === null
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: parent.traceId,
              spanId: parent.parentId,
              traceFlags: TraceFlags.SAMPLED,
              isRemote: true,
            });
      span = this.#tracer.startSpan(method, { kind: SpanKind.SERVER }, context);
      const ids = span.spanContext();
      traceId = ids.traceId;
      spanId = ids.spanId;
    } else {
      traceId = parent === null ? this.#randomHex(16) : parent.traceId;
      spanId = this.#randomHex(8);
    }
    const value = `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
    if (index === -1) headers.push(TRACEPARENT, value);
    else headers[index] = value;
    return { traceId, span };
  }

  /** Completes the request's span (when there is one) with the outcome. */
  end(requestTrace: RequestTrace, method: string, end: TraceEnd): void {
    const span = requestTrace.span;
    if (span === null) return;
    // Semantic conventions: the server span's name is "{method} {http.route}"; route names are bounded.
    span.updateName(end.route === '' ? method : `${method} ${end.route}`);
    span.setAttribute('http.request.method', method);
    span.setAttribute('http.response.status_code', end.status);
    span.setAttribute('tidegate.entry_point', end.entryPoint);
    if (end.route !== '') span.setAttribute('http.route', end.route);
    if (end.service !== '') span.setAttribute('tidegate.service', end.service);
    if (end.upstreamAddress !== '') {
      span.setAttribute('network.peer.address', end.upstreamAddress);
      span.setAttribute('network.peer.port', end.upstreamPort);
    }
    // Server spans: only 5xx is an error; a 4xx is the client's (HTTP semantic conventions, span status).
    if (end.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Exports what is still queued and stops the exporter. */
  async close(): Promise<void> {
    await this.#provider?.shutdown();
  }

  #randomHex(bytes: 8 | 16): string {
    for (;;) {
      const buffer = this.#idBytes.subarray(0, bytes);
      randomFillSync(buffer);
      const hex = buffer.toString('hex');
      // All-zero ids are invalid (W3C Trace Context §3.2.2.3/4); 2^-64 odds, but cheap to rule out.
      if (hex !== INVALID_TRACE_ID && hex !== INVALID_SPAN_ID) return hex;
    }
  }
}

/** The parent a valid `traceparent` names, or null (absent fields, all-zero ids, version ff): a new trace. */
export function parseTraceparent(
  value: string,
): { readonly traceId: string; readonly parentId: string; readonly sampled: boolean } | null {
  const match = TRACEPARENT_FORMAT.exec(value.trim());
  if (match === null) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  // Version ff is forbidden; version 00 has exactly four fields; later versions may append more (§3.2.4).
  if (version === 'ff' || (version === '00' && rest !== '')) return null;
  if (traceId === INVALID_TRACE_ID || parentId === INVALID_SPAN_ID) return null;
  return { traceId, parentId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}
