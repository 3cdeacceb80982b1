/**
 * Picker cost per policy and endpoint count, in process (no sockets): picks per second and ns per pick, to show
 * that selection stays O(1) (round_robin, least_request, ewma, maglev, random, weighted_round_robin) or O(log n)
 * (ring_hash) as a backend grows, and what building the picker costs (maglev's table, the hash ring). `npm run
 * bench` runs it as a child on the proxy's CPU: `node dist/bench/pickers.js --json <policy,...> <count,...>`;
 * without `--json` it prints a table.
 */
import { performance } from 'node:perf_hooks';
import { BackendBalancer } from '../src/balancer/backend-balancer.js';
import { EndpointStateRegistry } from '../src/endpoints/endpoint-state-registry.js';
import type { PickRequest, RuntimeEndpoint } from '../src/runtime/table.js';
import {
  LOAD_BALANCE_VALUES,
  type LoadBalanceName,
  loadBalancerPolicy,
  parseLoadBalance,
} from '../src/translate/services/balancing-values.js';
import { formatPickerTable, type PickerRow } from './report.js';

const BACKEND = 'backend/bench/app/80';
const PICKS = 2_000_000;

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

/**
 * Builds the balancer the gateway compiles for a Service annotated `load-balance: <name>` (hash policies key on
 * the client address, the annotation's default) over `count` ready endpoints, and times 2 million picks.
 */
export function measurePicker(name: LoadBalanceName, count: number): PickerRow {
  const registry = new EndpointStateRegistry({ affinityKey: 'bench' });
  const endpoints = endpointsOf(registry, count);
  const built = performance.now();
  const balancer = new BackendBalancer({
    backend: BACKEND,
    endpoints,
    policy: loadBalancerPolicy(name, null),
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
    policy: name,
    endpoints: count,
    buildMs: Math.round(buildMs * 100) / 100,
    picksPerSecond: Math.round(PICKS / seconds),
    nsPerPick: Math.round((seconds * 1e9) / PICKS),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args[0] === '--json';
  const [policyList, countList] = json ? args.slice(1) : args;
  const policies = (policyList?.split(',') ?? LOAD_BALANCE_VALUES).map((text) => {
    const name = parseLoadBalance(text);
    if (name === null) throw new Error(`unknown policy "${text}"; known: ${LOAD_BALANCE_VALUES.join(', ')}`);
    return name;
  });
  const counts = (countList?.split(',') ?? ['3', '1000']).map(Number);
  const rows: PickerRow[] = [];
  for (const policy of policies) for (const count of counts) rows.push(measurePicker(policy, count));
  process.stdout.write(json ? `${JSON.stringify(rows)}\n` : `${formatPickerTable(rows)}\n`);
}

if (process.argv[1]?.endsWith('pickers.js')) main();
