/**
 * Picker cost per policy at 3 and 1000 endpoints, in process (no sockets): picks per second and ns per pick, to
 * show that selection stays O(1) (round_robin, least_request, ewma, maglev) or O(log n) (ring_hash) as a
 * backend grows. Also the compile-time cost of building each picker. Run: `node dist/bench/pickers.js`.
 */
import { performance } from 'node:perf_hooks';
import { BackendBalancer } from '../src/balancer/backend-balancer.js';
import { EndpointStateRegistry } from '../src/endpoints/endpoint-state-registry.js';
import type { LoadBalancerPolicy } from '../src/ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../src/runtime/table.js';

const BACKEND = 'backend/bench/app/80';
const PICKS = 2_000_000;
const POLICIES: readonly LoadBalancerPolicy[] = [
  { type: 'round_robin' },
  { type: 'least_request' },
  { type: 'ewma' },
  { type: 'random' },
  { type: 'maglev', hashBy: [{ type: 'client-ip' }] },
  { type: 'ring_hash', hashBy: [{ type: 'client-ip' }] },
  { type: 'weighted_round_robin' },
];

function endpointsOf(registry: EndpointStateRegistry, count: number): RuntimeEndpoint[] {
  const names = Array.from(
    { length: count },
    (_, i) => `${BACKEND}|10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:80`,
  );
  const states = registry.bindEndpoints(BACKEND, names);
  return names.map((name, i) => ({
    name,
    address: name.slice(name.indexOf('|') + 1, name.lastIndexOf(':')),
    port: 80,
    ready: true,
    serving: true,
    terminating: false,
    weight: 1 + (i % 3),
    state: states[i] as RuntimeEndpoint['state'],
  }));
}

/** 1024 distinct client addresses, so hash policies do real lookups. */
const REQUESTS: PickRequest[] = Array.from({ length: 1024 }, (_, i) => ({
  clientAddress: `192.168.${i >> 8}.${i & 255}`,
  path: '/',
  target: '/',
  headers: {},
}));

interface Row {
  readonly policy: string;
  readonly endpoints: number;
  readonly buildMs: number;
  readonly picksPerSecond: number;
  readonly nsPerPick: number;
}

function measure(policy: LoadBalancerPolicy, count: number): Row {
  const registry = new EndpointStateRegistry({ affinityKey: 'bench' });
  const endpoints = endpointsOf(registry, count);
  const built = performance.now();
  const balancer = new BackendBalancer({
    backend: BACKEND,
    endpoints,
    policy,
    affinity: null,
    panicThresholdPercent: 50,
    registry,
  });
  const buildMs = performance.now() - built;
  // Warm-up, then the measured run; the data plane's onStart/onEnd is part of every try.
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const endpoint = balancer.pick(REQUESTS[i & 1023] as PickRequest, null);
      if (endpoint !== null) {
        registry.started(endpoint.state);
        registry.ended(endpoint.state, 'success', 1);
      }
    }
  };
  run(PICKS / 10);
  const started = performance.now();
  run(PICKS);
  const seconds = (performance.now() - started) / 1000;
  return {
    policy: policy.type,
    endpoints: count,
    buildMs: Math.round(buildMs * 100) / 100,
    picksPerSecond: Math.round(PICKS / seconds),
    nsPerPick: Math.round((seconds * 1e9) / PICKS),
  };
}

const rows: Row[] = [];
for (const policy of POLICIES) for (const count of [3, 1000]) rows.push(measure(policy, count));
const header = ['policy', 'endpoints', 'build ms', 'picks/s', 'ns/pick (pick + onStart/onEnd)'];
const lines = rows.map((r) => [
  r.policy,
  String(r.endpoints),
  String(r.buildMs),
  r.picksPerSecond.toLocaleString('en'),
  String(r.nsPerPick),
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
const format = (cells: readonly string[]): string =>
  cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
process.stdout.write(`${format(header)}\n${lines.map(format).join('\n')}\n`);
