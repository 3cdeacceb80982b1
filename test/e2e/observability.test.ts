/**
 * Observability of a running gateway: access logs per entry point (JSON and nginx combined, status filters,
 * reopen on SIGUSR1 after a rotation, format change on SIGHUP), W3C trace context to the upstream with spans
 * received by an in-test OTLP/HTTP collector, the admin API's bearer token, its views and live stream, and the
 * metric families beyond request counts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { backendName, ingressRouteName } from '../../src/ir/names.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { type HttpResponse, jsonOf, request } from '../support/http-client.js';
import { ingress, NAMESPACE, SERVICE_PORT, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { type EchoBody, startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const TOKEN = 'e2e-admin-token-0123456789';
const ROUTE = ingressRouteName(NAMESPACE, 'app', 0, 0);
const BACKEND = backendName(NAMESPACE, 'app', SERVICE_PORT);
const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';

/** The parts of an OTLP/JSON span these tests read. */
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: readonly {
    key: string;
    value: { stringValue?: string; intValue?: number | string };
  }[];
}

/** A minimal OTLP/HTTP trace receiver (JSON encoding, as `@opentelemetry/exporter-trace-otlp-http` sends). */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  readonly server: Server;
  readonly contentTypes: string[] = [];

  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.contentTypes.push(req.headers['content-type'] ?? '');
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
          };
          for (const resource of body.resourceSpans)
            for (const scope of resource.scopeSpans) this.spans.push(...scope.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

async function readLines(path: string): Promise<string[]> {
  try {
    return lines(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
}

describe('observability', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let upstream: Upstream;
  let receiver: OtlpReceiver;
  let webLog: string;
  let secureLog: string;

  const send = (path: string, headers: Record<string, string> = {}, base?: string): Promise<HttpResponse> =>
    request(`${base ?? gateway.urls.web}${path}`, { headers: { host: 'app.test', ...headers } });
  const admin = (path: string, token: string | null = TOKEN): Promise<HttpResponse> =>
    request(`${gateway.urls.admin}${path}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  before(async () => {
    upstream = await startEchoUpstream('app');
    cleanups.after(() => upstream.close());
    receiver = new OtlpReceiver();
    const endpoint = await receiver.listen();
    cleanups.after(() => receiver.close());
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'app.yaml': toYaml([
          ...serviceWithEndpoints('app', [upstream]),
          ingress('app', { rules: [{ host: 'app.test', paths: [{ path: '/', service: 'app' }] }] }),
        ]),
      },
      config: {
        entryPoints: [
          {
            name: 'web',
            address: '127.0.0.1:0',
            protocol: 'http',
            accessLog: { format: 'json', path: './logs/web.log' },
          },
          {
            name: 'websecure',
            address: '127.0.0.1:0',
            protocol: 'https',
            accessLog: { format: 'combined', path: './logs/secure.log', statuses: ['4xx', '5xx'] },
          },
        ],
        admin: { address: '127.0.0.1:0', token: TOKEN },
        tracing: { serviceName: 'tidegate-e2e', sampleRate: 1, otlp: { endpoint } },
      },
    });
    webLog = join(gateway.dir, 'logs', 'web.log');
    secureLog = join(gateway.dir, 'logs', 'secure.log');
  });

  test('the JSON access log has one line per request with the documented fields', async () => {
    assert.equal(
      (await send('/a?x=1', { 'user-agent': 'e2e-agent', referer: 'http://ref.test/' })).status,
      200,
    );
    assert.equal((await send('/missing', { host: 'nobody.test' })).status, 404);
    const written = await waitUntil(
      async () => ((await readLines(webLog)).length >= 2 ? readLines(webLog) : null),
      {
        timeoutMs: 5_000,
        what: 'two lines in the web access log',
      },
    );
    const [ok, missing] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(ok && missing);
    assert.equal(ok.method, 'GET');
    assert.equal(ok.host, 'app.test');
    assert.equal(ok.path, '/a?x=1');
    assert.equal(ok.protocol, 'HTTP/1.1');
    assert.equal(ok.status, 200);
    assert.equal(ok.clientIp, '127.0.0.1');
    assert.equal(ok.entryPoint, 'web');
    assert.equal(ok.route, ROUTE);
    assert.equal(ok.service, BACKEND);
    assert.equal(ok.upstreamAddress, `${upstream.host}:${upstream.port}`);
    assert.equal(ok.userAgent, 'e2e-agent');
    assert.equal(ok.referer, 'http://ref.test/');
    assert.equal(ok.retries, 0);
    assert.ok(typeof ok.bytes === 'number' && ok.bytes > 0, `bytes ${ok.bytes}`);
    assert.ok(typeof ok.duration === 'number' && typeof ok.upstreamDuration === 'number');
    assert.match(String(ok.traceId), /^[0-9a-f]{32}$/);
    assert.ok(!Number.isNaN(Date.parse(String(ok.time))));
    assert.equal(missing.status, 404);
    assert.equal(missing.route, '');
    assert.equal(missing.upstreamAddress, null);
  });

  test('the combined access log keeps only the filtered statuses, in nginx format', async () => {
    const base = gateway.urls.websecure;
    assert.equal((await send('/fine', {}, base)).status, 200);
    assert.equal((await send('/nope', { host: 'nobody.test' }, base)).status, 404);
    const written = await waitUntil(
      async () => ((await readLines(secureLog)).length >= 1 ? readLines(secureLog) : null),
      {
        timeoutMs: 5_000,
        what: 'a line in the websecure access log',
      },
    );
    assert.equal(written.length, 1, written.join('\n'));
    assert.match(
      written[0] as string,
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/nope HTTP\/1\.1" 404 0 "-" "-"$/,
    );
  });

  test('SIGUSR1 reopens the access log file after a rotation', async () => {
    const before = (await readLines(webLog)).length;
    assert.ok(before >= 1);
    await rename(webLog, `${webLog}.1`);
    gateway.kill('SIGUSR1');
    await gateway.waitForLog((line) => line.msg === 'SIGUSR1: access log files reopened', 5_000);
    assert.equal((await send('/after-rotation')).status, 200);
    const fresh = await waitUntil(
      async () => ((await readLines(webLog)).length >= 1 ? readLines(webLog) : null),
      {
        timeoutMs: 5_000,
        what: 'a line in the reopened access log',
      },
    );
    assert.equal(fresh.length, 1);
    assert.equal((JSON.parse(fresh[0] as string) as { path: string }).path, '/after-rotation');
    assert.equal((await readLines(`${webLog}.1`)).length, before, 'the rotated file received nothing more');
  });

  test('trace context reaches the upstream and the span reaches the OTLP collector', async () => {
    const incoming = `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`;
    const continued = jsonOf<EchoBody>(
      await send('/traced', { traceparent: incoming, tracestate: 'vendor=1' }),
    );
    const header = String(continued.headers.traceparent);
    const [, traceId, spanId, flags] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header) ?? [];
    assert.equal(traceId, INCOMING_TRACE, header);
    assert.notEqual(spanId, INCOMING_PARENT, 'the upstream sees the gateway span as its parent');
    assert.equal(flags, '01');
    assert.equal(continued.headers.tracestate, 'vendor=1');

    const started = jsonOf<EchoBody>(await send('/untraced'));
    assert.match(String(started.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.notEqual(String(started.headers.traceparent).slice(3, 35), INCOMING_TRACE);

    const span = await waitUntil(() => receiver.spans.find((s) => s.spanId === spanId), {
      timeoutMs: 10_000,
      what: 'the gateway span at the OTLP receiver',
    });
    assert.equal(span.traceId, INCOMING_TRACE);
    assert.equal(span.parentSpanId, INCOMING_PARENT);
    assert.equal(span.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(span.name, `GET ${ROUTE}`);
    assert.equal(attribute(span, 'http.response.status_code'), 200);
    assert.equal(attribute(span, 'http.route'), ROUTE);
    assert.equal(attribute(span, 'tidegate.service'), BACKEND);
    assert.equal(attribute(span, 'network.peer.address'), upstream.host);
  });

  test('the admin API requires the bearer token except for probes and the dashboard', async () => {
    assert.equal((await admin('/healthz', null)).status, 200);
    assert.equal((await admin('/readyz', null)).status, 200);
    const anonymous = await admin('/api/v1/routers', null);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="tidegate"');
    assert.equal((await admin('/api/v1/routers', 'wrong-token-wrong-token')).status, 401);
    assert.equal((await admin('/metrics', null)).status, 401);

    const routers = jsonOf<{ name: string; host: string; backend?: string }[]>(
      await admin('/api/v1/routers'),
    );
    assert.deepEqual(
      routers.map((r) => [r.host, r.name, r.backend]),
      [['app.test', ROUTE, BACKEND]],
    );
    const services = jsonOf<{ name: string; ready: number; endpoints: unknown[] }[]>(
      await admin('/api/v1/services'),
    );
    assert.deepEqual(
      services.map((s) => [s.name, s.ready, s.endpoints.length]),
      [[BACKEND, 1, 1]],
    );
    const endpoints = jsonOf<{ service: string; address: string; port: number }[]>(
      await admin('/api/v1/endpoints'),
    );
    assert.deepEqual(
      endpoints.map((e) => [e.service, e.address, e.port]),
      [[BACKEND, upstream.host, upstream.port]],
    );
    assert.deepEqual(jsonOf(await admin('/api/v1/rejected')), []);
    assert.deepEqual(jsonOf(await admin('/api/v1/certificates')), []);
    const config = jsonOf<{ version: number; ir: { virtualHosts: unknown[] } }>(
      await admin('/api/v1/config'),
    );
    assert.equal(config.ir.virtualHosts.length, 1);
    assert.equal((await admin('/api/v1/registry')).status, 404);
    const dashboard = await admin('/dashboard/', null);
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.body, /<div id="app"><\/div>/);
  });

  test('the live stream sends history, then per-second stats with the snapshot version', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.urls.admin}/api/v1/stream?access_token=${TOKEN}`, {
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = response.body?.getReader();
    assert.ok(reader);
    let text = '';
    const decoder = new TextDecoder();
    try {
      await waitUntil(
        async () => {
          const { value, done } = await reader.read();
          if (value) text += decoder.decode(value, { stream: true });
          return done || (text.includes('event: history') && text.includes('event: stats'));
        },
        { timeoutMs: 5_000, intervalMs: 1, what: 'a history and a stats event' },
      );
    } finally {
      controller.abort();
    }
    const stats = /event: stats\ndata: (.*)\n/.exec(text)?.[1];
    assert.ok(stats, text);
    const sample = JSON.parse(stats) as { version: number; totals: { rps: number }; time: number };
    assert.ok(sample.version >= 1);
    assert.equal(typeof sample.totals.rps, 'number');
  });

  test('/metrics has bytes, upstream timings, endpoint readiness and connect durations', async () => {
    const text = (await admin('/metrics')).body;
    for (const family of [
      `tidegate_response_body_bytes_total{entrypoint="web",route="${ROUTE}",service="${BACKEND}"}`,
      `tidegate_upstream_first_byte_seconds_count{entrypoint="web",route="${ROUTE}",service="${BACKEND}"}`,
      `tidegate_endpoint_ready{service="${BACKEND}",endpoint=`,
      'tidegate_upstream_connect_duration_seconds_count',
    ]) {
      assert.ok(text.includes(family), `missing ${family}`);
    }
  });

  test('SIGHUP applies a new access log format without a restart', async () => {
    const path = join(gateway.dir, 'tidegate.yaml');
    const config = parse(await readFile(path, 'utf8')) as {
      entryPoints: { accessLog?: { format: string } }[];
    };
    const web = config.entryPoints[0];
    assert.ok(web?.accessLog);
    web.accessLog.format = 'combined';
    await writeFile(path, stringify(config));
    gateway.kill('SIGHUP');
    await gateway.waitForLog(
      (line) => String(line.msg).startsWith('SIGHUP: static configuration applied'),
      5_000,
    );
    const before = (await readLines(webLog)).length;
    assert.equal((await send('/after-hup')).status, 200);
    const written = await waitUntil(
      async () => {
        const all = await readLines(webLog);
        return all.length > before ? all : null;
      },
      { timeoutMs: 5_000, what: 'a line after SIGHUP' },
    );
    assert.match(
      written[written.length - 1] as string,
      /^127\.0\.0\.1 - - \[.*\] "GET \/after-hup HTTP\/1\.1" 200 \d+ "-" "-"$/,
    );
    assert.ok(gateway.running);
  });

  test("README's metrics table lists exactly the tidegate_* families /metrics exports", async () => {
    const exported = new Set(
      (await admin('/metrics')).body
        .split('\n')
        .filter((line) => line.startsWith('# TYPE tidegate_'))
        .map((line) => line.split(' ')[2] as string),
    );
    const readme = await readFile('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('### Access logs'));
    const documented = new Set([...table.matchAll(/`(tidegate_[a-z_]+)`/g)].map((m) => m[1] as string));
    assert.ok(exported.size > 20, `${exported.size} families exported`);
    assert.deepEqual([...documented].sort(), [...exported].sort());
  });
});
