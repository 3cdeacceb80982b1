/**
 * Embedded persistence across `kill -9`: a registry in a real child process acknowledges a persistent registration
 * and a service, is killed by PID with SIGKILL (no shutdown code runs), and a new process on the same data
 * directory serves both again; the ephemeral instance registered beside them is gone, as in Nacos.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cleanups } from '../support/cleanups.js';
import { request } from '../support/http-client.js';
import { withTimeout } from '../support/wait.js';

const CHILD = fileURLToPath(new URL('./registry-nacos-child.js', import.meta.url));
const cleanups = new Cleanups();
after(() => cleanups.run());

async function startChild(dataDir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the registry child did not spawn');
  cleanups.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGKILL');
      await once(child, 'exit');
    }
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [first] = (await withTimeout(once(lines, 'line'), 10_000, 'the registry child to listen')) as [
    string,
  ];
  const { port } = JSON.parse(first) as { port: number };
  return { child, base: `http://127.0.0.1:${port}/nacos/v1/ns` };
}

test('persistent instances and services survive kill -9 and a restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tidegate-registry-kill-'));
  cleanups.after(() => rm(dataDir, { recursive: true, force: true }));

  const first = await startChild(dataDir);
  const service = await request(`${first.base}/service?serviceName=order-service&protectThreshold=0.25`, {
    method: 'POST',
  });
  assert.equal(service.status, 200, service.body);
  const persistent = await request(
    `${first.base}/instance?serviceName=order-service&ip=10.0.0.1&port=8080&weight=7&ephemeral=false`,
    { method: 'POST' },
  );
  assert.equal(persistent.status, 200, persistent.body);
  const ephemeral = await request(`${first.base}/instance?serviceName=order-service&ip=10.0.0.2&port=8080`, {
    method: 'POST',
  });
  assert.equal(ephemeral.status, 200, ephemeral.body);

  const exited = once(first.child, 'exit');
  process.kill(first.child.pid as number, 'SIGKILL');
  const [, signal] = (await withTimeout(exited, 5_000, 'the killed child to exit')) as [
    number | null,
    string,
  ];
  assert.equal(signal, 'SIGKILL');

  const second = await startChild(dataDir);
  const list = JSON.parse(
    (await request(`${second.base}/instance/list?serviceName=DEFAULT_GROUP@@order-service`)).body,
  ) as { hosts: { ip: string; weight: number; ephemeral: boolean }[] };
  assert.deepEqual(
    list.hosts.map((h) => [h.ip, h.weight, h.ephemeral]),
    [['10.0.0.1', 7, false]],
  );
  const got = JSON.parse((await request(`${second.base}/service?serviceName=order-service`)).body) as {
    protectThreshold: number;
  };
  assert.equal(got.protectThreshold, 0.25);
});
