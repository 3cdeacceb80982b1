import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClock } from '../../../src/core/clock.js';
import { EmbeddedStore } from '../../../src/registry/embedded-store.js';
import { DEFAULT_LIVENESS } from '../../../src/registry/store.js';
import { instanceDef, runStoreContract } from './store-contract.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidegate-registry-'));
  dirs.push(dir);
  return dir;
}

runStoreContract(
  'embedded',
  async (timeouts) => new EmbeddedStore({ dataDir: await dataDir(), timeouts, clock: systemClock }),
);

const REF = { namespace: 'public', group: 'DEFAULT_GROUP', service: 'order-service' };

test('services and persistent instances are reloaded from the data directory; ephemeral ones are not', async () => {
  const dir = await dataDir();
  const first = new EmbeddedStore({ dataDir: dir, timeouts: DEFAULT_LIVENESS, clock: systemClock });
  await first.start(AbortSignal.timeout(10_000));
  await first.upsertService({
    ...REF,
    protectThreshold: 0.3,
    metadata: { team: 'a' },
    selector: { type: 'none' },
  });
  await first.registerInstance(
    REF,
    instanceDef({ ip: '10.0.0.1', ephemeral: false, weight: 3, metadata: { zone: 'x' } }),
  );
  await first.registerInstance(REF, instanceDef({ ip: '10.0.0.2', ephemeral: true }));
  await first.close();
  assert.ok(JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')));

  const second = new EmbeddedStore({ dataDir: dir, timeouts: DEFAULT_LIVENESS, clock: systemClock });
  await second.start(AbortSignal.timeout(10_000));
  try {
    assert.equal((await second.getService(REF))?.protectThreshold, 0.3);
    assert.deepEqual(await second.listInstances(REF), [
      instanceDef({ ip: '10.0.0.1', ephemeral: false, weight: 3, metadata: { zone: 'x' } }),
    ]);
  } finally {
    await second.close();
  }
});
