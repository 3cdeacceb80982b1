/**
 * The behaviour every `RegistryStore` must have, as one reusable suite: the embedded store's test runs it now, the
 * etcd store's test runs it against a real etcd. Each test gets a fresh, empty store from `makeStore` (started by
 * the suite, closed by it). Waits are bounded and scaled from the liveness timeouts the caller chooses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DEFAULT_CLUSTER,
  HEART_BEAT_TIMEOUT_KEY,
  type Instance,
  IP_DELETE_TIMEOUT_KEY,
  type ServiceRef,
} from '../../../src/registry/model.js';
import type { LivenessTimeouts, RegistryStore } from '../../../src/registry/store.js';
import { waitUntil } from '../../support/wait.js';

export interface StoreContractOptions {
  /** Liveness timeouts given to every store; default 300 ms / 600 ms, swept every 50 ms. */
  readonly timeouts?: LivenessTimeouts;
  /** Extra slack for asynchronous backends (watch propagation), added to every bounded wait. Default 1 s. */
  readonly slackMs?: number;
}

/** Builds a fresh, empty, not yet started store with these liveness timeouts. */
export type MakeStore = (timeouts: LivenessTimeouts) => Promise<RegistryStore>;

const FAST: LivenessTimeouts = { heartbeatTimeoutMs: 300, deleteTimeoutMs: 600, sweepIntervalMs: 50 };

const ORDER: ServiceRef = { namespace: 'public', group: 'DEFAULT_GROUP', service: 'order-service' };
const PAY: ServiceRef = { namespace: 'public', group: 'shop', service: 'pay-service' };

/** An instance definition with Nacos' defaults, overridden by `overrides`. */
export function instanceDef(overrides: Partial<Instance> = {}): Instance {
  return {
    ip: '10.0.0.1',
    port: 8080,
    clusterName: DEFAULT_CLUSTER,
    weight: 1,
    healthy: true,
    enabled: true,
    ephemeral: true,
    metadata: {},
    ...overrides,
  };
}

/** Runs the contract suite against stores built by `makeStore`. */
export function runStoreContract(
  name: string,
  makeStore: MakeStore,
  options: StoreContractOptions = {},
): void {
  const timeouts = options.timeouts ?? FAST;
  const slack = options.slackMs ?? 1_000;

  async function withStore(fn: (store: RegistryStore) => Promise<void>): Promise<void> {
    const store = await makeStore(timeouts);
    const abort = new AbortController();
    try {
      await store.start(abort.signal);
      await fn(store);
    } finally {
      abort.abort();
      await store.close();
    }
  }

  const find = (instances: readonly Instance[], ip: string): Instance | undefined =>
    instances.find((i) => i.ip === ip);

  describe(`RegistryStore contract: ${name}`, () => {
    test('registers, lists (all clusters or some) and deregisters instances', () =>
      withStore(async (store) => {
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.2', weight: 2 }));
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.1', clusterName: 'east' }));
        const all = await store.listInstances(ORDER);
        assert.deepEqual(
          all.map((i) => `${i.ip}#${i.port}#${i.clusterName}`),
          ['10.0.0.1#8080#east', '10.0.0.2#8080#DEFAULT'],
        );
        assert.equal(find(all, '10.0.0.2')?.weight, 2);
        assert.deepEqual(
          (await store.listInstances(ORDER, ['east'])).map((i) => i.ip),
          ['10.0.0.1'],
        );
        assert.deepEqual(await store.listInstances(PAY), []);

        assert.equal(
          await store.deregisterInstance(ORDER, { ip: '10.0.0.1', port: 8080, clusterName: 'east' }),
          true,
        );
        assert.equal(
          await store.deregisterInstance(ORDER, { ip: '10.0.0.1', port: 8080, clusterName: 'east' }),
          false,
        );
        assert.deepEqual(
          (await store.listInstances(ORDER)).map((i) => i.ip),
          ['10.0.0.2'],
        );
      }));

    test('a registration with the same ip#port#cluster replaces the instance', () =>
      withStore(async (store) => {
        await store.registerInstance(ORDER, instanceDef({ weight: 1, metadata: { v: '1' } }));
        await store.registerInstance(ORDER, instanceDef({ weight: 5, enabled: false, metadata: { v: '2' } }));
        const [only, ...rest] = await store.listInstances(ORDER);
        assert.equal(rest.length, 0);
        assert.equal(only?.weight, 5);
        assert.equal(only?.enabled, false);
        assert.deepEqual(only?.metadata, { v: '2' });
      }));

    test('registration creates the service with defaults; an emptied service stays', () =>
      withStore(async (store) => {
        await store.registerInstance(PAY, instanceDef());
        assert.deepEqual(await store.getService(PAY), {
          ...PAY,
          protectThreshold: 0,
          metadata: {},
          selector: { type: 'none' },
        });
        await store.deregisterInstance(PAY, instanceDef());
        assert.ok(await store.getService(PAY));
      }));

    test('service CRUD: create, read, list with group filter and paging, update keeps instances, delete', () =>
      withStore(async (store) => {
        const base = { protectThreshold: 0.5, metadata: { team: 'a' }, selector: { type: 'none' } } as const;
        await store.upsertService({ ...ORDER, ...base });
        await store.upsertService({ ...PAY, ...base });
        await store.upsertService({ ...ORDER, service: 'a-service', ...base });
        await store.upsertService({ ...ORDER, namespace: 'dev', ...base });
        assert.deepEqual(await store.getService(ORDER), { ...ORDER, ...base });
        assert.equal(await store.getService({ ...ORDER, service: 'nope' }), undefined);

        const all = await store.listServices('public');
        assert.equal(all.count, 3);
        const grouped = await store.listServices('public', 'DEFAULT_GROUP');
        assert.deepEqual(
          grouped.services.map((s) => s.service),
          ['a-service', 'order-service'],
        );
        const page2 = await store.listServices('public', 'DEFAULT_GROUP', { pageNo: 2, pageSize: 1 });
        assert.equal(page2.count, 2);
        assert.deepEqual(
          page2.services.map((s) => s.service),
          ['order-service'],
        );
        assert.equal((await store.listServices('nowhere')).count, 0);

        await store.registerInstance(ORDER, instanceDef());
        await store.upsertService({ ...ORDER, ...base, protectThreshold: 0.8 });
        assert.equal((await store.getService(ORDER))?.protectThreshold, 0.8);
        assert.equal((await store.listInstances(ORDER)).length, 1);

        assert.equal(await store.deleteService(ORDER), 'has-instances');
        await store.deregisterInstance(ORDER, instanceDef());
        assert.equal(await store.deleteService(ORDER), 'deleted');
        assert.equal(await store.deleteService(ORDER), 'not-found');
        assert.equal(await store.getService(ORDER), undefined);
      }));

    test('heartbeats keep an ephemeral instance alive; a beat for an unknown instance answers false', () =>
      withStore(async (store) => {
        await store.registerInstance(ORDER, instanceDef());
        const until = performance.now() + timeouts.deleteTimeoutMs * 2;
        while (performance.now() < until) {
          assert.equal(await store.heartbeat(ORDER, instanceDef()), true);
          await delay(timeouts.heartbeatTimeoutMs / 4);
        }
        const [instance] = await store.listInstances(ORDER);
        assert.equal(instance?.healthy, true);
        assert.equal(await store.heartbeat(ORDER, instanceDef({ ip: '10.9.9.9' })), false);
      }));

    test('without beats an ephemeral instance turns unhealthy, then is removed; a persistent one stays', () =>
      withStore(async (store) => {
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.1' }));
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.2', ephemeral: false }));
        await waitUntil(async () => find(await store.listInstances(ORDER), '10.0.0.1')?.healthy === false, {
          timeoutMs: timeouts.deleteTimeoutMs + slack,
          what: 'the silent ephemeral instance to turn unhealthy',
          intervalMs: 10,
        });
        await waitUntil(async () => find(await store.listInstances(ORDER), '10.0.0.1') === undefined, {
          timeoutMs: timeouts.deleteTimeoutMs + slack,
          what: 'the silent ephemeral instance to be removed',
        });
        const persistent = find(await store.listInstances(ORDER), '10.0.0.2');
        assert.equal(persistent?.healthy, true);
      }));

    test('a beat revives an instance that turned unhealthy', () =>
      withStore(async (store) => {
        const metadata = { [IP_DELETE_TIMEOUT_KEY]: String(timeouts.deleteTimeoutMs * 20) };
        await store.registerInstance(ORDER, instanceDef({ metadata }));
        await waitUntil(async () => (await store.listInstances(ORDER))[0]?.healthy === false, {
          timeoutMs: timeouts.heartbeatTimeoutMs + slack,
          what: 'the instance to turn unhealthy',
        });
        assert.equal(await store.heartbeat(ORDER, instanceDef()), true);
        await waitUntil(async () => (await store.listInstances(ORDER))[0]?.healthy === true, {
          timeoutMs: slack,
          what: 'the beat to make the instance healthy again',
        });
      }));

    test('per-instance preserved.* metadata overrides the timeouts', () =>
      withStore(async (store) => {
        const long = String(timeouts.deleteTimeoutMs * 20);
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.1' }));
        await store.registerInstance(
          ORDER,
          instanceDef({
            ip: '10.0.0.2',
            metadata: { [HEART_BEAT_TIMEOUT_KEY]: long, [IP_DELETE_TIMEOUT_KEY]: long },
          }),
        );
        await waitUntil(async () => find(await store.listInstances(ORDER), '10.0.0.1') === undefined, {
          timeoutMs: timeouts.deleteTimeoutMs + slack,
          what: 'the default instance to be removed',
        });
        assert.equal(find(await store.listInstances(ORDER), '10.0.0.2')?.healthy, true);
      }));

    test('setHealthy records active check results for persistent instances', () =>
      withStore(async (store) => {
        await store.registerInstance(ORDER, instanceDef({ ephemeral: false }));
        await store.setHealthy(ORDER, instanceDef(), false);
        assert.equal((await store.listInstances(ORDER))[0]?.healthy, false);
        await store.setHealthy(ORDER, instanceDef(), true);
        assert.equal((await store.listInstances(ORDER))[0]?.healthy, true);
        await store.setHealthy(ORDER, instanceDef({ ip: '10.9.9.9' }), false);
        assert.equal((await store.listInstances(ORDER)).length, 1);
      }));

    test('change listeners hear registrations, expiries and service changes until unsubscribed', () =>
      withStore(async (store) => {
        let calls = 0;
        const off = store.onChange(() => {
          calls++;
        });
        await store.registerInstance(ORDER, instanceDef());
        await waitUntil(() => calls > 0, { timeoutMs: slack, what: 'a change after registration' });
        const afterRegister = calls;
        await waitUntil(() => calls > afterRegister && store.snapshot().services[0]?.instances.length === 0, {
          timeoutMs: timeouts.deleteTimeoutMs + slack,
          what: 'a change after expiry',
        });
        const afterExpiry = calls;
        await store.upsertService({ ...PAY, protectThreshold: 0, metadata: {}, selector: { type: 'none' } });
        await waitUntil(() => calls > afterExpiry, {
          timeoutMs: slack,
          what: 'a change after a service upsert',
        });
        off();
        const frozen = calls;
        await store.registerInstance(PAY, instanceDef());
        await delay(100);
        assert.equal(calls, frozen);
      }));

    test('the snapshot is complete, sorted, immutable and agrees with the reads', () =>
      withStore(async (store) => {
        const empty = store.snapshot();
        assert.deepEqual(empty.services, []);
        await store.registerInstance(PAY, instanceDef({ ip: '10.0.0.2', ephemeral: false }));
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.3', ephemeral: false }));
        await store.registerInstance(ORDER, instanceDef({ ip: '10.0.0.1', ephemeral: false }));
        await waitUntil(() => store.snapshot().services.length === 2, {
          timeoutMs: slack,
          what: 'both services in the snapshot',
        });
        const snap = store.snapshot();
        assert.ok(snap.revision > empty.revision);
        assert.deepEqual(
          snap.services.map((e) => `${e.service.group}@@${e.service.service}`),
          ['DEFAULT_GROUP@@order-service', 'shop@@pay-service'],
        );
        const order = snap.services[0];
        assert.deepEqual(order?.instances, await store.listInstances(ORDER));
        assert.deepEqual(order?.service, await store.getService(ORDER));
        assert.deepEqual(empty.services, [], 'an earlier snapshot never changes');
        assert.ok(Object.isFrozen(snap.services));
      }));
  });
}
