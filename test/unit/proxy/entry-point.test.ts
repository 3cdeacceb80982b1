import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { noRequestMetrics } from '../../../src/observability/request-metrics.js';
import { EntryPoint } from '../../../src/proxy/entry-point.js';
import { SnapshotHolder } from '../../../src/runtime/holder.js';
import { request } from '../../support/http-client.js';
import { waitUntil, withTimeout } from '../../support/wait.js';
import {
  EchoHandler,
  firstStatus,
  type Harness,
  RawConnection,
  rawExchange,
  recordingLogger,
  startEntryPoint,
  statuses,
} from './entry-point-fixture.js';

describe('EntryPoint (HTTP)', () => {
  let h: Harness;
  before(async () => {
    h = await startEntryPoint({ maxHeaderSize: 1_024 });
  });
  after(() => h.entryPoint.close());

  test('listens on an ephemeral port and hands requests to the handler', async () => {
    const response = await request(`http://127.0.0.1:${h.port}/hello?x=1`, {
      headers: { host: 'shop.example.test' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body, 'GET shop.example.test /hello?x=1 0\n');
  });

  test('logs the listening line the e2e harness parses', () => {
    const line = h.lines.find((l) => l.msg === 'entry point listening');
    assert.ok(line, 'no listening line');
    assert.equal(line.level, 'info');
    assert.equal(line.entryPoint, 'web');
    assert.equal(line.address, `127.0.0.1:${h.port}`);
    assert.equal(line.protocol, 'http');
  });

  test('counts a connection while it is open and uncounts it when it closes', async () => {
    const before = h.metrics.accepted;
    const answer = await rawExchange(h.port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(firstStatus(answer.text), 200);
    assert.equal(h.metrics.accepted, before + 1);
    await waitUntil(() => h.metrics.openOn('web') === 0, {
      timeoutMs: 5_000,
      what: 'the connection to be uncounted',
    });
  });

  test('answers 431 with Connection: close to a head larger than maxHeaderSize', async () => {
    const answer = await rawExchange(
      h.port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4_000)}\r\n\r\n`,
    );
    assert.equal(firstStatus(answer.text), 431);
    assert.match(answer.text, /\r\nConnection: close\r\n/i);
    assert.ok(answer.closedByServer, 'the connection stayed open');
  });

  test('answers 400 to an HTTP/1.1 request without Host (RFC 9112 §3.2)', async () => {
    const answer = await rawExchange(h.port, 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(firstStatus(answer.text), 400);
    assert.ok(answer.closedByServer);
  });

  test('answers 400 to garbage and closes', async () => {
    const answer = await rawExchange(h.port, 'HELLO\r\n\r\n');
    assert.equal(firstStatus(answer.text), 400);
    assert.match(answer.text, /\r\nConnection: close\r\n/i);
    assert.ok(answer.closedByServer);
  });

  test('a handler that throws costs its request a 500, not the process', async () => {
    const response = await request(`http://127.0.0.1:${h.port}/throw`);
    assert.equal(response.status, 500);
    assert.ok(h.lines.some((l) => l.msg === 'request handler threw' && l.level === 'error'));
    assert.equal((await request(`http://127.0.0.1:${h.port}/after`)).status, 200);
  });
});

describe('EntryPoint request smuggling defences', () => {
  let h: Harness;
  before(async () => {
    h = await startEntryPoint();
  });
  after(() => h.entryPoint.close());

  const attempts: Record<string, string> = {
    'Content-Length with Transfer-Encoding':
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    'duplicate Content-Length':
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    'obs-fold header continuation': 'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n',
    'invalid chunk size':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    'Transfer-Encoding not ending in chunked (RFC 9112 §6.3)':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'space before the header colon (RFC 9112 §5.1)':
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello',
  };

  for (const [name, bytes] of Object.entries(attempts)) {
    test(`${name}: 400, connection closed, nothing smuggled`, async () => {
      const answer = await rawExchange(h.port, bytes);
      assert.deepEqual(statuses(answer.text), [400], answer.text);
      assert.match(answer.text, /\r\nConnection: close\r\n/i);
      assert.ok(answer.closedByServer, 'the connection stayed open');
      assert.ok(!h.handler.seen.includes('GET /smuggled'), 'a smuggled request reached the handler');
    });
  }

  test('a bad request after a good one on a keep-alive connection: 200, then 400 and close', async () => {
    const connection = new RawConnection(h.port);
    try {
      await connection.exchange(
        'GET /first HTTP/1.1\r\nHost: x\r\n\r\n',
        (t) => t.includes('/first 0\n'),
        'the first answer',
      );
      connection.socket.write(
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      );
      await withTimeout(connection.closed, 5_000, 'the server to close the connection');
      assert.deepEqual(statuses(connection.text), [200, 400], connection.text);
    } finally {
      connection.destroy();
    }
  });
});

describe('EntryPoint timeouts', () => {
  test('a request head that never completes gets 408 and the connection closes', async () => {
    const h = await startEntryPoint({ requestTimeoutMs: 300 });
    try {
      const answer = await rawExchange(h.port, 'GET / HTTP/1.1\r\nHost: x\r\n', 10_000);
      assert.equal(firstStatus(answer.text), 408);
      assert.ok(answer.closedByServer, 'the server never timed the request out');
    } finally {
      await h.entryPoint.close();
    }
  });
});

describe('EntryPoint lifecycle', () => {
  function unstarted(port = 0): EntryPoint {
    const { logger } = recordingLogger();
    return new EntryPoint(
      {
        name: 'web',
        host: '127.0.0.1',
        port,
        protocol: 'http',
        maxHeaderSize: 16_384,
        requestTimeoutMs: 0,
        keepAliveTimeoutMs: 5_000,
      },
      { handler: new EchoHandler(), holder: new SnapshotHolder(), metrics: noRequestMetrics, logger },
    );
  }

  test('close before start resolves, and a later start does not bind', async () => {
    const entryPoint = unstarted();
    await entryPoint.close();
    await entryPoint.start(new AbortController().signal);
    assert.equal(entryPoint.address(), null);
  });

  test('close twice returns the same settled drain', async () => {
    const h = await startEntryPoint();
    const first = h.entryPoint.close(1_000);
    const second = h.entryPoint.close();
    assert.equal(first, second);
    await first;
    assert.equal(h.entryPoint.address(), null);
  });

  test('a port in use fails start, and close after that failure resolves', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    assert.ok(address && typeof address === 'object');
    const entryPoint = unstarted(address.port);
    try {
      await assert.rejects(entryPoint.start(new AbortController().signal), { code: 'EADDRINUSE' });
      await entryPoint.close(1_000);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('https without tls material is refused at construction', () => {
    const { logger } = recordingLogger();
    assert.throws(
      () =>
        new EntryPoint(
          {
            name: 'tls',
            host: '127.0.0.1',
            port: 0,
            protocol: 'https',
            maxHeaderSize: 16_384,
            requestTimeoutMs: 0,
            keepAliveTimeoutMs: 5_000,
          },
          { handler: new EchoHandler(), holder: new SnapshotHolder(), metrics: noRequestMetrics, logger },
        ),
      /https needs tls/,
    );
  });
});
