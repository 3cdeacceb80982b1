import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AccessLog, type AccessLogSource } from '../../../src/observability/access-log.js';

const TIME = Date.UTC(2024, 9, 10, 13, 55, 36, 123);

function source(overrides: Partial<AccessLogSource> = {}): AccessLogSource {
  return {
    req: {
      method: 'GET',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'shop.test', 'User-Agent', 'curl/8 "quoted"', 'Referer', 'http://ref.test/'],
      socket: { remoteAddress: '10.0.0.9' },
    },
    clientAddress: '203.0.113.7',
    hostHeader: 'shop.test',
    target: '/cart?id=1',
    routeName: 'ingress/default/shop/rule/0/path/0',
    backendName: 'backend/default/shop/80',
    endpoint: { address: '10.0.0.1', port: 8080 },
    responseBytes: 512,
    upstreamSeconds: 0.0123456789,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    ...overrides,
  };
}

/** An access log writing into an array, with fixed time and randomness. */
function capture(options: Partial<ConstructorParameters<typeof AccessLog>[0]> = {}): {
  log: AccessLog;
  out: string[];
} {
  const out: string[] = [];
  const log = new AccessLog(
    { entryPoint: 'web', format: 'json', sample: 1, statuses: [], now: () => TIME, ...options },
    { write: (text) => out.push(text) },
  );
  return { log, out };
}

test('JSON lines carry every documented field, written in one batch after the turn', async () => {
  const { log, out } = capture();
  log.record(source(), 200, 0.0201);
  log.record(source({ endpoint: null, upstreamSeconds: -1, traceId: '', routeName: '' }), 404, 0.0001);
  assert.equal(out.length, 0, 'nothing is formatted on the request path');
  await nextTurn();
  assert.equal(out.length, 1, 'one write per batch');
  const [first, second] = out
    .join('')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(first, {
    time: '2024-10-10T13:55:36.123Z',
    clientIp: '203.0.113.7',
    method: 'GET',
    host: 'shop.test',
    path: '/cart?id=1',
    protocol: 'HTTP/1.1',
    status: 200,
    bytes: 512,
    duration: 0.0201,
    upstreamAddress: '10.0.0.1:8080',
    upstreamDuration: 0.012346,
    entryPoint: 'web',
    route: 'ingress/default/shop/rule/0/path/0',
    service: 'backend/default/shop/80',
    retries: 0,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    userAgent: 'curl/8 "quoted"',
    referer: 'http://ref.test/',
  });
  assert.equal(second.upstreamAddress, null);
  assert.equal(second.upstreamDuration, null);
  assert.equal(second.traceId, null);
});

test('combined lines follow nginx, escaping quotes and control characters', () => {
  const { log, out } = capture({ format: 'combined' });
  log.record(source({ target: '/a"b\n', clientAddress: '' }), 502, 1);
  log.flush();
  assert.equal(
    out[0],
    '10.0.0.9 - - [10/Oct/2024:13:55:36 +0000] "GET /a\\x22b\\x0A HTTP/1.1" 502 512 "http://ref.test/" "curl/8 \\x22quoted\\x22"\n',
  );
});

test('status filters and sampling decide which requests are written', () => {
  let draw = 0;
  const draws = [0.1, 0.9];
  const { log, out } = capture({
    statuses: [
      { min: 500, max: 599 },
      { min: 404, max: 404 },
    ],
    sample: 0.5,
    random: () => draws[draw++ % draws.length] as number,
  });
  log.record(source(), 200, 0.01); // filtered out by status (no draw)
  log.record(source(), 503, 0.01); // draw 0.1 < 0.5: written
  log.record(source(), 404, 0.01); // draw 0.9: sampled out
  log.flush();
  assert.equal(out.length, 1);
  const lines = (out[0] as string).trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { status: number }).status),
    [503],
  );
});

test('reconfigure switches the format for later lines', () => {
  const { log, out } = capture();
  log.reconfigure(
    { format: 'combined', sample: 1, statuses: [] },
    { write: (text) => out.push(`B:${text}`) },
  );
  log.record(source(), 200, 0.01);
  log.flush();
  assert.match(out[0] as string, /^B:203\.0\.113\.7 - - \[/);
});
