import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findExecutable, stopChild } from '../../../bench/process.js';
import { LARGE_BYTES, LARGE_PATH, SMALL_BYTES, SMALL_PATH } from '../../../bench/upstream.js';
import { loopbackAddresses, startUpstream, type UpstreamKind } from '../../../bench/upstream-server.js';

const workRoot = mkdtempSync(join(tmpdir(), 'tidegate-bench-upstream-'));
after(() => rmSync(workRoot, { recursive: true, force: true }));

/** Status, body length and Connection header of one GET. */
function get(address: string, port: number, path: string): Promise<[number, number, string]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, timeout: 5000 }, (res) => {
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
      });
      res.on('end', () => resolve([res.statusCode ?? 0, length, String(res.headers.connection)]));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

for (const kind of ['node', 'nginx'] as const satisfies readonly UpstreamKind[]) {
  describe(`${kind} upstream`, { skip: kind === 'nginx' && findExecutable('nginx') === undefined }, () => {
    test('answers 64 B and 16 KiB on one port of every loopback address, keeping connections alive', async () => {
      const addresses = loopbackAddresses(3);
      const upstream = await startUpstream({
        kind,
        workDir: mkdtempSync(join(workRoot, `${kind}-`)),
        addresses,
        cpus: undefined,
      });
      try {
        for (const address of addresses) {
          assert.deepEqual(await get(address, upstream.port, SMALL_PATH), [200, SMALL_BYTES, 'keep-alive']);
          assert.deepEqual(await get(address, upstream.port, LARGE_PATH), [200, LARGE_BYTES, 'keep-alive']);
        }
        // Any other path is the small response, as wrk's URL may carry a query.
        assert.deepEqual(await get('127.0.0.1', upstream.port, '/other'), [200, SMALL_BYTES, 'keep-alive']);
        // Only the given addresses listen: 127.0.0.4 is refused.
        await assert.rejects(get('127.0.0.4', upstream.port, SMALL_PATH), /ECONNREFUSED/);
        assert.match(upstream.description, /3 loopback addresses/);
      } finally {
        await stopChild(upstream.child);
      }
    });
  });
}
