import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { waitUntil, withTimeout } from '../../support/wait.js';
import {
  backend,
  closedPort,
  echo,
  echoUpstream,
  fetchText,
  ir,
  route,
  TestProxy,
  TestServer,
  vhost,
} from './proxy-fixture.js';

describe('ProxyHandler: routing and forwarding', () => {
  const a = echoUpstream('a');
  const b = echoUpstream('b');
  let proxy: TestProxy;

  before(async () => {
    const [portA, portB] = [await a.listen(), await b.listen()];
    const pair = backend('pair', [portA, portB]);
    const refused = backend('refused', [await closedPort()]);
    const empty = backend('empty', []);
    proxy = new TestProxy(
      ir(
        [
          vhost('example.com', [
            route('api', '/api', pair, {
              rewrite: { type: 'regex', pattern: '/api/(.*)', caseInsensitive: false, replacement: '/v2/$1' },
            }),
            route('broken', '/broken', { invalidStatus: 500 }),
            route('refused', '/refused', refused),
            route('empty', '/empty', empty),
            route('secure', '/secure', pair, { httpsRedirect: { status: 308, port: null } }),
            route('admin', '/admin', pair),
            route('public', '/public', refused),
          ]),
        ],
        [pair, refused, empty],
      ),
      { httpsPort: 8443 },
    );
    await proxy.listen();
  });

  after(async () => {
    await proxy.close();
    await a.close();
    await b.close();
  });

  test('round robin spreads requests over both endpoints', async () => {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetchText(proxy.port, '/admin/x', { headers: { host: 'example.com' } });
      assert.equal(response.status, 200);
      names.push(echo(response).name);
    }
    assert.deepEqual(names.slice().sort(), ['a', 'a', 'b', 'b']);
    assert.notEqual(names[0], names[1]);
  });

  test('Host is forwarded as received while routing is case- and port-insensitive', async () => {
    const response = await fetchText(proxy.port, '/admin', { headers: { host: 'Example.COM.:8080' } });
    assert.equal(response.status, 200);
    assert.equal(echo(response).headers.host, 'Example.COM.:8080');
  });

  test('the route rewrite applies to the upstream path and keeps the query', async () => {
    const response = await fetchText(proxy.port, '/api/items?page=2', { headers: { host: 'example.com' } });
    assert.equal(echo(response).url, '/v2/items?page=2');
  });

  test('dot segments are resolved before routing and forwarding', async () => {
    // `/public` goes to a dead backend; `/public/../admin` must not sneak past the `/admin` route (or vice versa).
    const response = await fetchText(proxy.port, '/public/../admin/%2e%2e/admin/ok?x=1', {
      headers: { host: 'example.com' },
    });
    assert.equal(response.status, 200);
    assert.equal(echo(response).url, '/admin/ok?x=1');
  });

  test('an absolute-form target is routed on its authority, which replaces Host', async () => {
    const response = await rawExchange(
      proxy.port,
      'GET http://EXAMPLE.com:80/admin/abs HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n',
    );
    assert.match(response, /^HTTP\/1\.1 200 /);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
      url: string;
      headers: { host: string };
    };
    assert.equal(body.url, '/admin/abs');
    assert.equal(body.headers.host, 'EXAMPLE.com:80');
  });

  test('an asterisk-form target is a 400', async () => {
    const response = await rawExchange(
      proxy.port,
      'OPTIONS * HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    );
    assert.match(response, /^HTTP\/1\.1 400 /);
    assert.match(response, /x-tidegate-error: bad-request/);
  });

  test('no route is a 404 with the error header and a text body', async () => {
    const response = await fetchText(proxy.port, '/nothing', { headers: { host: 'unknown.test' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers['x-tidegate-error'], 'no-route');
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(response.body, '404 no route\n');
  });

  test('an invalid route answers its status', async () => {
    const response = await fetchText(proxy.port, '/broken', { headers: { host: 'example.com' } });
    assert.equal(response.status, 500);
    assert.equal(response.headers['x-tidegate-error'], 'backend-invalid');
  });

  test('a refused connection is a 502', async () => {
    const response = await fetchText(proxy.port, '/refused', { headers: { host: 'example.com' } });
    assert.equal(response.status, 502);
    assert.equal(response.headers['x-tidegate-error'], 'upstream-connect');
  });

  test('a backend without endpoints is a 503', async () => {
    const response = await fetchText(proxy.port, '/empty', { headers: { host: 'example.com' } });
    assert.equal(response.status, 503);
    assert.equal(response.headers['x-tidegate-error'], 'no-endpoint');
  });

  test('plain HTTP on a redirecting route gets a 308 to https with the configured port', async () => {
    const response = await fetchText(proxy.port, '/secure/page?q=1', { headers: { host: 'Example.com:80' } });
    assert.equal(response.status, 308);
    assert.equal(response.headers.location, 'https://example.com:8443/secure/page?q=1');
  });

  test('every request is counted once with its route, backend and status', async () => {
    const before = proxy.metrics.finished.length;
    await fetchText(proxy.port, '/empty', { headers: { host: 'example.com' } });
    await fetchText(proxy.port, '/admin', { headers: { host: 'example.com' }, method: 'POST', body: 'x' });
    await waitUntil(() => proxy.metrics.finished.length === before + 2, {
      timeoutMs: 5_000,
      what: 'two records',
    });
    assert.deepEqual(proxy.metrics.finished.slice(before), [
      {
        entryPoint: 'web',
        route: 'ingress/default/test/rule/0/path/empty',
        backend: 'backend/default/empty/80',
        method: 'GET',
        status: 503,
      },
      {
        entryPoint: 'web',
        route: 'ingress/default/test/rule/0/path/admin',
        backend: 'backend/default/pair/80',
        method: 'POST',
        status: 200,
      },
    ]);
  });
});

describe('ProxyHandler: no table yet', () => {
  test('answers 503 until the first table is swapped in', async () => {
    const proxy = new TestProxy(null);
    await proxy.listen();
    try {
      const response = await fetchText(proxy.port, '/', { headers: { host: 'example.com' } });
      assert.equal(response.status, 503);
      assert.equal(response.headers['x-tidegate-error'], 'no-endpoint');
    } finally {
      await proxy.close();
    }
  });

  test('an https redirect omits port 443', async () => {
    const upstream = echoUpstream('u');
    const only = backend('only', [await upstream.listen()]);
    const proxy = new TestProxy(
      ir([vhost('*', [route('all', '/', only, { httpsRedirect: { status: 301, port: 443 } })])], [only]),
    );
    await proxy.listen();
    try {
      const response = await fetchText(proxy.port, '/a', { headers: { host: 'shop.test' } });
      assert.equal(response.status, 301);
      assert.equal(response.headers.location, 'https://shop.test/a');
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('ProxyHandler: headers', () => {
  const upstream = new TestServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(req.rawHeaders);
      res.setHeader('Connection', 'X-Internal');
      res.setHeader('X-Internal', 'secret');
      res.setHeader('Proxy-Authenticate', 'Basic');
      res.setHeader('Keep-Alive', 'timeout=99');
      res.setHeader('X-Kept', 'yes');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end(body);
    });
  });
  let untrusted: TestProxy;
  let trusted: TestProxy;

  before(async () => {
    const only = backend('only', [await upstream.listen()]);
    const table = ir([vhost('*', [route('all', '/', only)])], [only]);
    untrusted = new TestProxy(table);
    trusted = new TestProxy(table, { trustedProxies: ['127.0.0.0/8'] });
    await untrusted.listen();
    await trusted.listen();
  });

  after(async () => {
    await untrusted.close();
    await trusted.close();
    await upstream.close();
  });

  /** The upstream's view of the request headers, as a name (lower-case) → values map. */
  async function seen(proxy: TestProxy, headers: Record<string, string>): Promise<Map<string, string[]>> {
    const response = await fetchText(proxy.port, '/h', { headers });
    const raw = JSON.parse(response.body) as string[];
    const out = new Map<string, string[]>();
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      out.set(name, [...(out.get(name) ?? []), raw[i + 1] as string]);
    }
    return out;
  }

  test('hop-by-hop headers and those named in Connection are not forwarded upstream', async () => {
    const headers = await seen(untrusted, {
      host: 'example.com',
      connection: 'keep-alive, X-Secret',
      'x-secret': '1',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic abc',
      te: 'trailers',
      'x-normal': 'y',
    });
    for (const name of ['x-secret', 'proxy-authorization', 'te', 'keep-alive']) {
      assert.equal(headers.has(name), false, `${name} was forwarded`);
    }
    assert.deepEqual(headers.get('x-normal'), ['y']);
  });

  test('hop-by-hop headers and those named in Connection are not returned to the client', async () => {
    const response = await fetchText(untrusted.port, '/h', { headers: { host: 'example.com' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['x-internal'], undefined);
    assert.equal(response.headers['proxy-authenticate'], undefined);
    assert.notEqual(response.headers['keep-alive'], 'timeout=99');
    assert.equal(response.headers['x-kept'], 'yes');
    assert.deepEqual(response.headers['set-cookie'], ['a=1', 'b=2']);
  });

  test('an untrusted peer gets its forwarded headers replaced', async () => {
    const headers = await seen(untrusted, {
      host: 'example.com:8080',
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.test',
      'x-forwarded-port': '1',
      'x-real-ip': '6.6.6.6',
      forwarded: 'for=6.6.6.6',
    });
    assert.deepEqual(headers.get('x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(headers.get('x-forwarded-proto'), ['http']);
    assert.deepEqual(headers.get('x-forwarded-host'), ['example.com:8080']);
    assert.deepEqual(headers.get('x-forwarded-port'), [String(untrusted.port)]);
    assert.deepEqual(headers.get('x-real-ip'), ['127.0.0.1']);
    assert.deepEqual(headers.get('forwarded'), ['for=127.0.0.1;host="example.com:8080";proto=http']);
  });

  test('a trusted peer has its forwarded headers extended', async () => {
    const headers = await seen(trusted, {
      host: 'example.com',
      'x-forwarded-for': '203.0.113.7, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example.com',
      'x-forwarded-port': '443',
      forwarded: 'for=203.0.113.7',
    });
    assert.deepEqual(headers.get('x-forwarded-for'), ['203.0.113.7, 10.0.0.1, 127.0.0.1']);
    assert.deepEqual(headers.get('x-forwarded-proto'), ['https']);
    assert.deepEqual(headers.get('x-forwarded-host'), ['public.example.com']);
    assert.deepEqual(headers.get('x-forwarded-port'), ['443']);
    // 10.0.0.1 is not trusted: it is the client (nginx real_ip_recursive).
    assert.deepEqual(headers.get('x-real-ip'), ['10.0.0.1']);
    assert.deepEqual(headers.get('forwarded'), [
      'for=203.0.113.7, for=127.0.0.1;host=example.com;proto=http',
    ]);
  });
});

describe('ProxyHandler: bodies, limits and timeouts', () => {
  const MiB = 1024 * 1024;
  /** Large enough that the kernel's socket buffers on both hops cannot hold it all. */
  const LARGE = 64 * MiB;
  let uploadGate: (() => void) | null = null;
  let uploadReceived = 0;
  let downloadSent = 0;
  let downloadBlocked = false;
  let downloadFinished = false;
  const arrived: string[] = [];
  const aborted: string[] = [];
  const upstream = new TestServer((req, res) => {
    if (req.url === '/upload') {
      // Reads nothing until the test opens the gate: the client's upload must stall, not pile up in the proxy.
      req.pause();
      uploadReceived = 0;
      uploadGate = () => {
        req.on('data', (chunk: Buffer) => {
          uploadReceived += chunk.length;
        });
        req.on('end', () => res.end(String(uploadReceived)));
        req.resume();
      };
      return;
    }
    if (req.url === '/download') {
      downloadSent = 0;
      downloadFinished = false;
      res.writeHead(200, { 'content-length': LARGE });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (downloadSent < LARGE) {
          downloadSent += chunk.length;
          if (!res.write(chunk)) {
            downloadBlocked = true;
            res.once('drain', () => {
              downloadBlocked = false;
              pump();
            });
            return;
          }
        }
        downloadFinished = true;
        res.end();
      };
      pump();
      return;
    }
    if (req.url === '/silent' || req.url === '/hang') {
      req.resume();
      arrived.push(req.url as string);
      res.on('close', () => aborted.push(req.url as string));
      return;
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => res.end(String(bytes)));
  });
  let proxy: TestProxy;

  before(async () => {
    const only = backend('only', [await upstream.listen()]);
    proxy = new TestProxy(
      ir(
        [
          vhost('*', [
            route('limited', '/limited', only, { maxBodyBytes: 1024 }),
            route('silent', '/silent', only, { timeouts: { connectMs: 2_000, readMs: 300, sendMs: 10_000 } }),
            route('all', '/', only),
          ]),
        ],
        [only],
      ),
    );
    await proxy.listen();
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  test('a large upload streams with back-pressure from the upstream to the client', async () => {
    let written = 0;
    let blocked = false;
    const req = request({
      host: '127.0.0.1',
      port: proxy.port,
      path: '/upload',
      method: 'POST',
      agent: false,
    });
    const response = new Promise<string>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const pump = (): void => {
      while (written < LARGE) {
        written += chunk.length;
        if (!req.write(chunk)) {
          blocked = true;
          req.once('drain', () => {
            blocked = false;
            pump();
          });
          return;
        }
      }
      req.end();
    };
    pump();
    // The upstream reads nothing: the client must end up blocked for good well before it wrote everything (a
    // proxy that buffered would accept it all and the client would never stall).
    await waitUntil(
      stalled(() => (uploadGate !== null && blocked ? written : -1)),
      {
        timeoutMs: 20_000,
        intervalMs: 300,
        what: 'the upload to stall while the upstream reads nothing',
      },
    );
    assert.ok(written < LARGE, `the whole body (${written} bytes) was accepted without the upstream reading`);
    (uploadGate as unknown as () => void)();
    assert.equal(await withTimeout(response, 30_000, 'upload response'), String(LARGE));
    assert.equal(uploadReceived, LARGE);
  });

  test('a large download streams with back-pressure from the client to the upstream', async () => {
    const res = await withTimeout(
      new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: proxy.port, path: '/download', agent: false },
          resolve,
        );
        req.on('error', reject);
        req.end();
      }),
      10_000,
      'download head',
    );
    res.pause();
    await waitUntil(
      stalled(() => (downloadBlocked ? downloadSent : -1)),
      {
        timeoutMs: 20_000,
        intervalMs: 300,
        what: 'the download to stall while the client reads nothing',
      },
    );
    assert.equal(downloadFinished, false, 'the proxy buffered the whole response');
    assert.ok(downloadSent < LARGE);
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    res.resume();
    await withTimeout(done, 30_000, 'download body');
    assert.equal(received, LARGE);
  });

  test('a Content-Length above the limit is a 413 before the upstream is contacted', async () => {
    const connections = upstream.connections;
    const response = await fetchText(proxy.port, '/limited', { method: 'POST', body: Buffer.alloc(2048) });
    assert.equal(response.status, 413);
    assert.equal(response.headers['x-tidegate-error'], 'body-too-large');
    assert.equal(upstream.connections, connections);
  });

  test('a chunked body that outgrows the limit is a 413', async () => {
    const response = await rawExchange(
      proxy.port,
      'POST /limited HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `800\r\n${'a'.repeat(0x800)}\r\n0\r\n\r\n`,
    );
    assert.match(response, /^HTTP\/1\.1 413 /);
    assert.match(response, /x-tidegate-error: body-too-large/);
  });

  test('a chunked body within the limit is forwarded', async () => {
    const response = await rawExchange(
      proxy.port,
      `POST /limited HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n10\r\n${'a'.repeat(16)}\r\n0\r\n\r\n`,
    );
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.ok(response.endsWith('\r\n\r\n16'), response);
  });

  test('an upstream that never answers is a 504 after the read timeout', async () => {
    const response = await fetchText(proxy.port, '/silent');
    assert.equal(response.status, 504);
    assert.equal(response.headers['x-tidegate-error'], 'upstream-timeout');
  });

  test('a client that goes away aborts the upstream request and is counted as 499', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => arrived.includes('/hang'), {
      timeoutMs: 5_000,
      what: 'the request to reach the upstream',
    });
    socket.destroy();
    await waitUntil(() => aborted.includes('/hang'), {
      timeoutMs: 5_000,
      what: 'the upstream to see the abort',
    });
    await waitUntil(() => proxy.metrics.finished.some((f) => f.status === 499), {
      timeoutMs: 5_000,
      what: 'a 499 record',
    });
    const record = proxy.metrics.finished.find((f) => f.status === 499);
    assert.equal(record?.route, 'ingress/default/test/rule/0/path/all');
  });
});

describe('ProxyHandler: connections and upgrades', () => {
  test('sequential requests reuse one upstream connection', async () => {
    const upstream = echoUpstream('u');
    const only = backend('only', [await upstream.listen()]);
    const proxy = new TestProxy(ir([vhost('*', [route('all', '/', only)])], [only]));
    await proxy.listen();
    try {
      for (let i = 0; i < 50; i++) {
        const response = await fetchText(proxy.port, `/n/${i}`);
        assert.equal(response.status, 200);
      }
      assert.equal(upstream.connections, 1);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  test('a WebSocket echoes through the proxy', async () => {
    const upstream = new TestServer(() => {});
    const wss = new WebSocketServer({ server: upstream.server });
    const seenHeaders: Record<string, string | string[] | undefined>[] = [];
    wss.on('connection', (ws, req) => {
      seenHeaders.push(req.headers);
      ws.on('message', (data, binary) => ws.send(data, { binary }));
    });
    const only = backend('ws', [await upstream.listen()]);
    const proxy = new TestProxy(
      ir(
        [
          vhost('*', [
            route('ws', '/ws', only, {
              rewrite: {
                type: 'regex',
                pattern: '/ws/(.*)',
                caseInsensitive: false,
                replacement: '/socket/$1',
              },
            }),
          ]),
        ],
        [only],
      ),
    );
    await proxy.listen();
    const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/chat`);
    try {
      await withTimeout(
        new Promise((resolve, reject) => {
          client.once('open', resolve);
          client.once('error', reject);
        }),
        5_000,
        'websocket open',
      );
      const reply = withTimeout(
        new Promise<string>((resolve) => client.once('message', (data) => resolve(String(data)))),
        5_000,
        'websocket echo',
      );
      client.send('hello through the proxy');
      assert.equal(await reply, 'hello through the proxy');
      assert.equal(seenHeaders[0]?.['x-forwarded-for'], '127.0.0.1');
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.close();
      await withTimeout(closed, 5_000, 'websocket close');
      await waitUntil(() => proxy.metrics.finished.some((f) => f.status === 101), {
        timeoutMs: 5_000,
        what: 'the tunnel to be counted with status 101',
      });
    } finally {
      client.terminate();
      wss.close();
      await proxy.close();
      await upstream.close();
    }
  });

  test('an upgrade without a route gets a 404 on the raw socket', async () => {
    const proxy = new TestProxy(ir([], []));
    await proxy.listen();
    try {
      const response = await rawExchange(
        proxy.port,
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
      assert.match(response, /^HTTP\/1\.1 404 Not Found\r\n/);
      assert.match(response, /x-tidegate-error: no-route/);
    } finally {
      await proxy.close();
    }
  });
});

/**
 * A condition for `waitUntil`: true once `progress()` (a byte count, -1 while not blocked) is non-negative and
 * unchanged since the previous attempt, i.e. a writer is blocked and stays blocked.
 */
function stalled(progress: () => number): () => boolean {
  let last = -1;
  return () => {
    const now = progress();
    const same = now >= 0 && now === last;
    last = now;
    return same;
  };
}

/** Writes `text` on a fresh connection and returns everything read until the server closes it (bounded). */
function rawExchange(port: number, text: string): Promise<string> {
  const exchange = new Promise<string>((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      out += chunk;
    });
    socket.on('end', () => resolve(out));
    socket.on('error', (error) => (out === '' ? reject(error) : resolve(out)));
  });
  return withTimeout(exchange, 10_000, 'raw exchange');
}
