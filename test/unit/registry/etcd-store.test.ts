/**
 * The etcd store against a real etcd (Debian's etcd-server): the shared store contract, then what only a shared
 * backend has — two stores on one prefix see each other's writes, a beat through either keeps an instance alive,
 * and persistent instances survive an etcd restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../../src/core/clock.js';
import { EtcdStore } from '../../../src/registry/etcd-store.js';
import type { ServiceRef } from '../../../src/registry/model.js';
import type { LivenessTimeouts } from '../../../src/registry/store.js';
import { Cleanups } from '../../support/cleanups.js';
import { EtcdServer } from '../../support/etcd.js';
import { waitUntil } from '../../support/wait.js';
import { instanceDef, runStoreContract } from './store-contract.js';

const cleanups = new Cleanups();
let etcd: EtcdServer;
let stores = 0;

before(async () => {
  etcd = await EtcdServer.start(cleanups);
});
after(() => cleanups.run());

/** etcd leases count in whole seconds: the shortest timeouts it can honour. */
const TIMEOUTS: LivenessTimeouts = {
  heartbeatTimeoutMs: 1_000,
  deleteTimeoutMs: 2_000,
  sweepIntervalMs: 500,
};

function makeStore(
  timeouts: LivenessTimeouts,
  prefix = `/tidegate-test/${process.pid}/${stores++}`,
): EtcdStore {
  return new EtcdStore({
    endpoints: [etcd.endpoint],
    prefix,
    dialTimeoutMs: 3_000,
    timeouts,
    now: () => systemClock.now(),
  });
}

runStoreContract('etcd', async (timeouts) => makeStore(timeouts), { timeouts: TIMEOUTS, slackMs: 2_500 });

const ORDER: ServiceRef = { namespace: 'public', group: 'DEFAULT_GROUP', service: 'order-service' };

describe('etcd store: several replicas on one prefix', () => {
  test('a registration through one replica is seen by the other; a beat through the other keeps it alive', async () => {
    const prefix = `/tidegate-test/${process.pid}/shared-${stores++}`;
    const a = makeStore(TIMEOUTS, prefix);
    const b = makeStore(TIMEOUTS, prefix);
    const abort = new AbortController();
    try {
      await a.start(abort.signal);
      await b.start(abort.signal);
      await a.registerInstance(ORDER, instanceDef({ ip: '10.1.0.1' }));
      await waitUntil(() => b.snapshot().services[0]?.instances[0]?.ip === '10.1.0.1', {
        timeoutMs: 2_000,
        what: 'replica b to see the registration made through a',
      });
      // Beats only through b, for twice the delete timeout: a's leases must stay alive.
      const until = performance.now() + TIMEOUTS.deleteTimeoutMs * 2;
      while (performance.now() < until) {
        assert.equal(await b.heartbeat(ORDER, instanceDef({ ip: '10.1.0.1' })), true);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal((await a.listInstances(ORDER))[0]?.healthy, true);
      assert.equal(await b.deregisterInstance(ORDER, instanceDef({ ip: '10.1.0.1' })), true);
      await waitUntil(async () => (await a.listInstances(ORDER)).length === 0, {
        timeoutMs: 2_000,
        what: 'replica a to see the deregistration made through b',
      });
    } finally {
      abort.abort();
      await a.close();
      await b.close();
    }
  });

  test('persistent instances survive an etcd restart; the watch resumes afterwards', async () => {
    const prefix = `/tidegate-test/${process.pid}/restart-${stores++}`;
    const store = makeStore(TIMEOUTS, prefix);
    const abort = new AbortController();
    try {
      await store.start(abort.signal);
      await store.registerInstance(ORDER, instanceDef({ ip: '10.2.0.1', ephemeral: false }));
      await etcd.restart();
      const fresh = makeStore(TIMEOUTS, prefix);
      try {
        await fresh.start(abort.signal);
        assert.deepEqual(
          (await fresh.listInstances(ORDER)).map((i) => i.ip),
          ['10.2.0.1'],
        );
      } finally {
        await fresh.close();
      }
      // The store that lived through the restart still follows changes.
      await waitUntil(
        async () => {
          await store.registerInstance(ORDER, instanceDef({ ip: '10.2.0.2', ephemeral: false }));
          return (await store.listInstances(ORDER)).length === 2;
        },
        { timeoutMs: 15_000, intervalMs: 500, what: 'a write after the etcd restart' },
      );
    } finally {
      abort.abort();
      await store.close();
    }
  });
});
