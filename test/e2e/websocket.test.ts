/**
 * WebSocket through the gateway: the Upgrade is routed by Host like any request and the tunnel carries frames
 * both ways until a clean close.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { GatewayProcess } from '../support/gateway-process.js';
import { ingress, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { startWebSocketEchoUpstream } from '../support/upstreams.js';
import { withTimeout } from '../support/wait.js';

test('a WebSocket echoes text, binary and large messages through the gateway', async (t) => {
  const upstream = await startWebSocketEchoUpstream('ws');
  t.after(() => upstream.close());
  const gateway = await GatewayProcess.start(t, {
    manifests: {
      'ws.yaml': toYaml([
        ...serviceWithEndpoints('ws', [upstream]),
        ingress('ws', { rules: [{ host: 'ws.test', paths: [{ path: '/', service: 'ws' }] }] }),
      ]),
    },
  });

  const client = new WebSocket(`ws://127.0.0.1:${gateway.ports.web}/chat?room=1`, {
    headers: { host: 'ws.test' },
  });
  t.after(() => client.terminate());
  await withTimeout(
    new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
      client.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade answered ${res.statusCode}`)),
      );
    }),
    5_000,
    'the WebSocket to open',
  );
  const upgrade = upstream.received.find((r) => r.headers.upgrade === 'websocket');
  assert.equal(upgrade?.url, '/chat?room=1');
  assert.equal(upgrade?.headers.host, 'ws.test');

  const echo = (message: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> => {
    const reply = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) =>
      client.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
    );
    client.send(message);
    return withTimeout(reply, 5_000, 'the echo');
  };
  assert.deepEqual(await echo('hello'), { data: Buffer.from('hello'), isBinary: false });
  assert.deepEqual(await echo(Buffer.from([0, 1, 2, 255])), {
    data: Buffer.from([0, 1, 2, 255]),
    isBinary: true,
  });
  const large = Buffer.alloc(256 * 1024, 'x');
  assert.ok((await echo(large)).data.equals(large), 'a 256 KiB message came back changed');

  const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
  client.close(1000, 'done');
  assert.equal(await withTimeout(closed, 5_000, 'the close handshake'), 1000);
});
