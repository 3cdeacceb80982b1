/**
 * Resilience against the real gateway and real upstreams: failure drills under concurrent load (one of three
 * endpoints refused, hanging or answering 503: with retries on, no GET fails), the retry budget capping
 * amplification when everything fails, the trip breaker opening, probing and closing, the overflow limit and the
 * whole-request timeout.
 */
import assert from 'node:assert/strict';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { type HttpResponse, request } from '../support/http-client.js';
import { ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { refusedPort, startEchoUpstream, startSlowUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

/** An upstream answering `status` (changeable) to everything, counting what it received. */
interface StatusUpstream {
  readonly host: string;
  readonly port: number;
  status: number;
  hits: number;
  close(): Promise<void>;
}

async function startStatusUpstream(status: number): Promise<StatusUpstream> {
  const upstream = { host: '127.0.0.1', port: 0, status, hits: 0, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    upstream.hits++;
    req.resume();
    res.writeHead(upstream.status, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.port = (server.address() as AddressInfo).port;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return upstream;
}

/** `count` GETs, `concurrency` at a time over keep-alive connections; every answer, in completion order. */
async function load(url: string, host: string, count: number, concurrency: number): Promise<HttpResponse[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const out: HttpResponse[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      out.push(await request(url, { headers: { host }, agent, timeoutMs: 10_000 }));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}

function statuses(responses: readonly HttpResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) {
    const key = `${r.status}${r.headers['x-tidegate-error'] ? ` ${r.headers['x-tidegate-error']}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('resilience', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  const echoes: Upstream[] = [];
  let hanging: Upstream;
  let failing: StatusUpstream;
  let down: StatusUpstream[];
  let flaky: StatusUpstream;
  let narrow: Upstream;

  before(async () => {
    for (const name of ['a', 'b']) {
      const echo = await startEchoUpstream(name);
      cleanups.after(() => echo.close());
      echoes.push(echo);
    }
    hanging = await startSlowUpstream({ name: 'hanging', delayMs: null });
    cleanups.after(() => hanging.close());
    failing = await startStatusUpstream(503);
    cleanups.after(() => failing.close());
    down = [await startStatusUpstream(503), await startStatusUpstream(503)];
    for (const upstream of down) cleanups.after(() => upstream.close());
    flaky = await startStatusUpstream(503);
    cleanups.after(() => flaky.close());
    narrow = await startSlowUpstream({ name: 'narrow', delayMs: null });
    cleanups.after(() => narrow.close());
    const refused = { host: '127.0.0.1', port: await refusedPort() };
    const retries = {
      'nginx.ingress.kubernetes.io/proxy-next-upstream': 'error timeout http_503',
      'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '3',
      'tidegate.io/retry-per-try-timeout': '150ms',
      'tidegate.io/retry-budget-percent': '100',
    };
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          ...serviceWithEndpoints('killed', [...echoes, refused]),
          ...serviceWithEndpoints('hanging', [...echoes, hanging]),
          ...serviceWithEndpoints('failing', [...echoes, failing]),
          ...serviceWithEndpoints('down', down),
          ...serviceWithEndpoints('flaky', [flaky]),
          ...serviceWithEndpoints('narrow', [narrow]),
        ]),
        'ingresses.yaml': toYaml([
          ingress('drills', {
            annotations: retries,
            rules: ['killed', 'hanging', 'failing'].map((name) => ({
              host: `${name}.test`,
              paths: [{ path: '/', service: name }],
            })),
          }),
          ingress('down', {
            annotations: {
              'nginx.ingress.kubernetes.io/proxy-next-upstream': 'http_503',
              'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '3',
              'tidegate.io/retry-budget-percent': '20',
              'tidegate.io/retry-budget-min-concurrency': '0',
            },
            rules: [{ host: 'down.test', paths: [{ path: '/', service: 'down' }] }],
          }),
          ingress('flaky', {
            annotations: {
              'nginx.ingress.kubernetes.io/proxy-next-upstream': 'off',
              'tidegate.io/circuit-breaker-expression': 'ResponseCodeRatio(500, 600, 0, 600) > 0.5',
              'tidegate.io/circuit-breaker-min-requests': '5',
              'tidegate.io/circuit-breaker-check-period': '1ms',
              'tidegate.io/circuit-breaker-fallback-duration': '500ms',
              'tidegate.io/circuit-breaker-probes': '2',
            },
            rules: [{ host: 'flaky.test', paths: [{ path: '/', service: 'flaky' }] }],
          }),
          ingress('narrow', {
            annotations: {
              'tidegate.io/circuit-breaker-max-requests': '1',
              'tidegate.io/proxy-request-timeout': '1s',
            },
            rules: [{ host: 'narrow.test', paths: [{ path: '/', service: 'narrow' }] }],
          }),
        ]),
      },
    });
  });

  for (const drill of ['killed', 'hanging', 'failing'] as const) {
    test(`one of three endpoints ${drill}: 300 concurrent GETs, none fails`, async () => {
      const responses = await load(`${gateway.urls.web}/`, `${drill}.test`, 300, 12);
      assert.deepEqual(statuses(responses), { 200: 300 }, gateway.tail());
      const names = new Set(responses.map((r) => (JSON.parse(r.body) as { name: string }).name));
      assert.deepEqual([...names].sort(), ['a', 'b']);
    });
  }

  test('the retry budget caps amplification when every endpoint fails', async () => {
    const hits = (): number => down.reduce((sum, upstream) => sum + upstream.hits, 0);
    const before = hits();
    const responses = await load(`${gateway.urls.web}/`, 'down.test', 200, 8);
    assert.deepEqual(statuses(responses), { 503: 200 });
    const attempts = hits() - before;
    // 3 tries per request would be 600 attempts; the 20 % budget allows 200 + 40.
    assert.ok(attempts >= 200 && attempts <= 241, `${attempts} upstream attempts for 200 requests`);
  });

  test('the trip breaker opens on 5xx, answers circuit-open, probes after the fallback and closes', async () => {
    const send = (): Promise<HttpResponse> =>
      request(`${gateway.urls.web}/`, { headers: { host: 'flaky.test' } });
    const early: HttpResponse[] = [];
    for (let i = 0; i < 8; i++) early.push(await send());
    const counts = statuses(early);
    assert.ok((counts['503 circuit-open'] ?? 0) >= 1, JSON.stringify(counts));
    const hitsWhenOpen = flaky.hits;
    const refused = await send();
    assert.equal(refused.headers['x-tidegate-error'], 'circuit-open');
    assert.equal(flaky.hits, hitsWhenOpen, 'an open breaker sends nothing upstream');
    flaky.status = 200;
    await waitUntil(async () => (await send()).status === 200, {
      timeoutMs: 5000,
      intervalMs: 100,
      what: 'a successful probe',
    });
    await waitUntil(async () => (await send()).status === 200, { timeoutMs: 5000, what: 'the second probe' });
    const closed = await load(`${gateway.urls.web}/`, 'flaky.test', 20, 4);
    assert.deepEqual(statuses(closed), { 200: 20 });
  });

  test('max-requests overflow answers 503 overflow; the whole-request timeout answers 504', async () => {
    const first = request(`${gateway.urls.web}/`, { headers: { host: 'narrow.test' } });
    await waitUntil(() => narrow.received.length === 1, {
      timeoutMs: 5000,
      what: 'the first request upstream',
    });
    const second = await request(`${gateway.urls.web}/`, { headers: { host: 'narrow.test' } });
    assert.equal(second.status, 503);
    assert.equal(second.headers['x-tidegate-error'], 'overflow');
    const timedOut = await first;
    assert.equal(timedOut.status, 504);
    assert.equal(timedOut.headers['x-tidegate-error'], 'upstream-timeout');
    const third = request(`${gateway.urls.web}/`, { headers: { host: 'narrow.test' } });
    assert.equal((await third).status, 504, 'the slot was given back');
  });

  test('/metrics and the admin snapshot show retries, budget refusals, overflows and breaker state', async () => {
    // Its own drills, so that it holds whichever tests ran before it.
    const hanging = request(`${gateway.urls.web}/`, { headers: { host: 'narrow.test' } });
    await waitUntil(() => narrow.received.length > 0, { timeoutMs: 5000, what: 'a request held upstream' });
    const overflow = await request(`${gateway.urls.web}/`, { headers: { host: 'narrow.test' } });
    assert.equal(overflow.headers['x-tidegate-error'], 'overflow');
    // Round robin sends every third first try to the 503 endpoint, which is retried on another one.
    assert.deepEqual(statuses(await load(`${gateway.urls.web}/`, 'failing.test', 30, 3)), { 200: 30 });
    assert.deepEqual(statuses(await load(`${gateway.urls.web}/`, 'down.test', 30, 3)), { 503: 30 });
    flaky.status = 503;
    await waitUntil(
      async () =>
        (await request(`${gateway.urls.web}/`, { headers: { host: 'flaky.test' } })).headers[
          'x-tidegate-error'
        ] === 'circuit-open',
      { timeoutMs: 5000, intervalMs: 10, what: 'the flaky breaker open' },
    );

    const snapshot = await gateway.snapshot();
    const backend = (service: string) => {
      const found = snapshot.backends.find((b) => b.name.includes(`/${service}/`));
      assert.ok(found?.resilience, `backend ${service} with its resilience state`);
      return { name: found.name, resilience: found.resilience };
    };
    const failing = backend('failing');
    const downBackend = backend('down');
    const narrowBackend = backend('narrow');
    const flakyBackend = backend('flaky');
    assert.equal(flakyBackend.resilience.breaker, 'open');
    assert.ok(flakyBackend.resilience.breakerOpened >= 1);
    assert.ok(downBackend.resilience.retryBudgetRefused > 0, JSON.stringify(downBackend.resilience));
    assert.ok(narrowBackend.resilience.overflows >= 1, JSON.stringify(narrowBackend.resilience));
    assert.equal(failing.resilience.tripExpression, null);

    const metrics = (await gateway.admin('/metrics')).body;
    const value = (name: string, labels: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      assert.ok(line !== undefined, `${name}{${labels}} in /metrics`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const retries = metrics
      .split('\n')
      .filter((l) => l.startsWith('tidegate_retries_total{') && l.includes(`service="${failing.name}"`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.ok(retries >= 10, `${retries} retries of ${failing.name} counted`);
    const flakyService = `service="${flakyBackend.name}"`;
    assert.equal(value('tidegate_circuit_breaker_state', `${flakyService},state="open"`), 1);
    assert.equal(value('tidegate_circuit_breaker_state', `${flakyService},state="closed"`), 0);
    assert.equal(value('tidegate_circuit_breaker_state', `${flakyService},state="half-open"`), 0);
    assert.ok(value('tidegate_circuit_breaker_opened_total', flakyService) >= 1);
    assert.ok(value('tidegate_retry_budget_refused_total', `service="${downBackend.name}"`) > 0);
    assert.ok(value('tidegate_backend_overflow_total', `service="${narrowBackend.name}"`) >= 1);
    assert.ok(
      !metrics.includes(`tidegate_circuit_breaker_state{service="${failing.name}"`),
      'no trip, no state',
    );
    assert.equal((await hanging).status, 504);
  });
});
