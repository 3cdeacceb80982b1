import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RETRY_POLICY } from '../../../src/ir/resilience-defaults.js';
import type { RetryPolicy } from '../../../src/ir/types.js';
import { withTimeout } from '../../support/wait.js';
import { backend, closedPort, ir, route, TestProxy, TestServer, vhost } from './proxy-fixture.js';

/** What an upstream received: the body's length and SHA-256. */
interface Received {
  readonly name: string;
  readonly method: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Reads the whole body, then answers `status` with what it received. */
function bodyUpstream(name: string, status: number, log: Received[]): TestServer {
  return new TestServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const received: Received = { name, method: req.method ?? '', bytes, sha256: hash.digest('hex') };
      log.push(received);
      const body = JSON.stringify(received);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
}

/** A body of `size` bytes that differs at every position, so a lost or repeated chunk changes its hash. */
function payload(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + (i >> 8)) & 255;
  return body;
}

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/**
 * Uploads `body` in `parts` chunked writes with a pause between them (so the first try is dispatched while the
 * body is still arriving), and reads the answer.
 */
async function upload(
  port: number,
  path: string,
  method: string,
  body: Buffer,
  parts: number,
): Promise<{ status: number; text: string }> {
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method,
    agent: false,
    headers: { host: 'example.com' },
  });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const size = Math.ceil(body.length / parts);
  for (let at = 0; at < body.length; at += size) {
    req.write(body.subarray(at, at + size));
    await sleep(40);
  }
  req.end();
  return withTimeout(answer, 10_000, `answer to ${method} ${path}`);
}

const retry = (overrides: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...overrides });

describe('retries of requests with a body (buffered replay)', () => {
  const received: Received[] = [];
  const healthy = bodyUpstream('healthy', 200, received);
  const unavailable = bodyUpstream('unavailable', 503, received);
  let proxy: TestProxy;

  before(async () => {
    const healthyPort = await healthy.listen();
    const unavailablePort = await unavailable.listen();
    // Round robin starts at the first endpoint and a retry moves on, so every request tries the first one first.
    const refusedFirst = backend('refused-first', [await closedPort(), healthyPort]);
    const unavailableFirst = backend('unavailable-first', [unavailablePort, healthyPort]);
    proxy = new TestProxy(
      ir(
        [
          vhost('example.com', [
            route('connect', '/connect', refusedFirst),
            route('small-buffer', '/small-buffer', refusedFirst, {
              retry: retry({ replayBodyBytes: 1024 }),
            }),
            route('no-buffer', '/no-buffer', refusedFirst, { retry: retry({ replayBodyBytes: 0 }) }),
            route('status', '/status', unavailableFirst, { retry: retry({ statuses: [503] }) }),
            route('status-small-buffer', '/status-small-buffer', unavailableFirst, {
              retry: retry({ statuses: [503], replayBodyBytes: 1024 }),
            }),
          ]),
        ],
        [refusedFirst, unavailableFirst],
      ),
    );
    await proxy.listen();
  });

  after(async () => {
    await proxy.close();
    await healthy.close();
    await unavailable.close();
  });

  /** Uploads a `size`-byte body; expects `status`, and `names` (in order) to have received the body whole. */
  async function expectUpload(
    path: string,
    method: string,
    size: number,
    parts: number,
    status: number,
    names: readonly string[],
  ): Promise<void> {
    received.length = 0;
    const body = payload(size);
    const answer = await upload(proxy.port, path, method, body, parts);
    assert.equal(answer.status, status, answer.text);
    const whole = { method, bytes: body.length, sha256: sha256(body) };
    assert.deepEqual(
      received,
      names.map((name) => ({ name, ...whole })),
    );
  }

  test('a POST retried after a connect failure reaches the healthy endpoint with its full body', async () => {
    await expectUpload('/connect', 'POST', 48 * 1024, 6, 200, ['healthy']);
  });

  test('a PUT answered 503 by an endpoint that read its body is replayed whole to the next one', async () => {
    await expectUpload('/status', 'PUT', 60 * 1024, 4, 200, ['unavailable', 'healthy']);
  });

  test('a body within retry-body-buffer-size is replayed; one that outgrew it is not retried', async () => {
    await expectUpload('/small-buffer', 'POST', 1000, 2, 200, ['healthy']);
    // The first endpoint reads all 4 KiB before its 503: nothing is left to replay, so its answer is relayed.
    await expectUpload('/status-small-buffer', 'PUT', 4096, 4, 503, ['unavailable']);
  });

  test('a body that outgrows the buffer after the retry began still streams whole to the retry', async () => {
    // The connect failure comes while only the first KiB has arrived: the retry replays it and relays the rest.
    await expectUpload('/small-buffer', 'POST', 4096, 4, 200, ['healthy']);
  });

  test('retry-body-buffer-size 0 never repeats a request with a body; one without a body is still retried', async () => {
    received.length = 0;
    const withBody = await upload(proxy.port, '/no-buffer', 'PUT', payload(10), 1);
    assert.equal(withBody.status, 502, withBody.text);
    const withoutBody = await upload(proxy.port, '/no-buffer', 'PUT', Buffer.alloc(0), 1);
    assert.equal(withoutBody.status, 200, withoutBody.text);
    assert.equal(received.length, 1);
    assert.equal(received[0]?.bytes, 0);
  });
});
