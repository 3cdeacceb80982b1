import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probeConnect, request } from '../../support/http-client.js';
import { waitUntil, withTimeout } from '../../support/wait.js';
import { type Harness, RawConnection, startEntryPoint } from './entry-point-fixture.js';

/** A keep-alive connection that has answered one request and now sits idle. */
async function idleKeepAlive(h: Harness): Promise<RawConnection> {
  const connection = new RawConnection(h.port);
  await connection.exchange(
    'GET /warm HTTP/1.1\r\nHost: x\r\n\r\n',
    (t) => t.includes('/warm 0\n'),
    'the first answer',
  );
  assert.match(connection.text, /\r\nConnection: keep-alive\r\n/i);
  return connection;
}

describe('EntryPoint drain', () => {
  test('an in-flight request completes with 200 and Connection: close; new connections are refused; idle ones close', async () => {
    const h = await startEntryPoint();
    const idle = await idleKeepAlive(h);
    try {
      const arrived = h.handler.nextArrival();
      const slow = request(`http://127.0.0.1:${h.port}/slow`);
      await withTimeout(arrived, 5_000, 'the slow request to reach the handler');

      const closing = h.entryPoint.close(5_000);
      let closed = false;
      void closing.then(() => {
        closed = true;
      });
      // The idle keep-alive connection goes while the slow request is still being served.
      await withTimeout(idle.closed, 4_000, 'the idle keep-alive connection to close');
      assert.equal(await probeConnect('127.0.0.1', h.port), 'ECONNREFUSED');
      assert.equal(closed, false, 'close resolved before the in-flight request finished');

      h.handler.gate.open();
      const response = await slow;
      assert.equal(response.status, 200);
      assert.equal(response.body, `GET 127.0.0.1:${h.port} /slow 0\n`);
      assert.equal(response.headers.connection, 'close');
      await withTimeout(closing, 5_000, 'close to resolve after the last request');
      assert.equal(h.metrics.openOn('web'), 0);
    } finally {
      idle.destroy();
      h.handler.gate.open();
      await h.entryPoint.close();
    }
  });

  test('a keep-alive response whose head went out before the drain still ends its connection', async () => {
    const h = await startEntryPoint();
    const connection = new RawConnection(h.port);
    try {
      const head = await connection.exchange(
        'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n',
        (t) => t.includes('\r\n\r\n'),
        'the head',
      );
      assert.match(head, /\r\nConnection: keep-alive\r\n/i);
      // A long deadline: the close must come from the response finishing, not from the deadline.
      const closing = h.entryPoint.close(60_000);
      // Only once the listener is gone is the drain surely under way; then the response may finish.
      await waitUntil(async () => (await probeConnect('127.0.0.1', h.port)) === 'ECONNREFUSED', {
        timeoutMs: 5_000,
        what: 'the listener to close',
      });
      h.handler.gate.open();
      await withTimeout(connection.closed, 5_000, 'the connection to close after its response');
      // The whole chunked body arrived before the close (RFC 9112 §7.1: the last chunk has size 0).
      assert.match(connection.text, /streamed\n\r\n0\r\n\r\n$/);
      await withTimeout(closing, 5_000, 'close to resolve');
    } finally {
      connection.destroy();
      h.handler.gate.open();
      await h.entryPoint.close();
    }
  });

  test('a request still running at the deadline is cut off and close resolves', async () => {
    const h = await startEntryPoint();
    try {
      const arrived = h.handler.nextArrival();
      const slow = request(`http://127.0.0.1:${h.port}/slow`);
      const outcome = slow.then(
        (r) => `answered ${r.status}`,
        (error: NodeJS.ErrnoException) => `failed ${error.code ?? error.message}`,
      );
      await withTimeout(arrived, 5_000, 'the slow request to reach the handler');
      await withTimeout(h.entryPoint.close(200), 5_000, 'close to resolve at the deadline');
      assert.equal(await withTimeout(outcome, 5_000, 'the client to notice'), 'failed ECONNRESET');
      assert.equal(h.metrics.openOn('web'), 0);
    } finally {
      h.handler.gate.open();
    }
  });

  test('an upgraded connection, which the HTTP server no longer tracks, is destroyed at the deadline', async () => {
    const h = await startEntryPoint();
    const connection = new RawConnection(h.port);
    try {
      await connection.exchange(
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
        (t) => t.startsWith('HTTP/1.1 101 '),
        'the 101 answer',
      );
      await connection.exchange('ping', (t) => t.endsWith('ping'), 'the echo');
      await withTimeout(h.entryPoint.close(200), 5_000, 'close to resolve');
      await withTimeout(connection.closed, 5_000, 'the upgraded connection to be closed');
      assert.equal(h.metrics.openOn('web'), 0);
    } finally {
      connection.destroy();
    }
  });

  test('aborting the start signal closes the entry point', async () => {
    const h = await startEntryPoint();
    const idle = await idleKeepAlive(h);
    try {
      h.abort.abort();
      await withTimeout(h.entryPoint.close(), 5_000, 'the abort-triggered close');
      await withTimeout(idle.closed, 5_000, 'the idle connection to close');
      assert.equal(h.entryPoint.address(), null);
      assert.equal(await probeConnect('127.0.0.1', h.port), 'ECONNREFUSED');
    } finally {
      idle.destroy();
    }
  });
});
