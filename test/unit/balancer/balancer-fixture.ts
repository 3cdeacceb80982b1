import { BackendBalancer } from '../../../src/balancer/backend-balancer.js';
import {
  EndpointStateRegistry,
  type EndpointStateRegistryOptions,
} from '../../../src/endpoints/endpoint-state-registry.js';
import type { Affinity, LoadBalancerPolicy } from '../../../src/ir/types.js';
import type { PickRequest, RuntimeEndpoint } from '../../../src/runtime/table.js';
import { seeded } from '../../support/seeded-random.js';

export const BACKEND = 'backend/default/app/80';

export interface EndpointSpec {
  readonly ip: string;
  readonly weight?: number;
  readonly ready?: boolean;
}

/** Runtime endpoints bound to `registry`, as compile builds them. */
export function endpoints(
  registry: EndpointStateRegistry,
  specs: readonly EndpointSpec[],
): RuntimeEndpoint[] {
  const names = specs.map((spec) => `${BACKEND}|${spec.ip}:80`);
  const states = registry.bindEndpoints(BACKEND, names);
  return specs.map((spec, i) => ({
    name: names[i] as string,
    address: spec.ip,
    port: 80,
    ready: spec.ready ?? true,
    serving: spec.ready ?? true,
    terminating: false,
    weight: spec.weight ?? 1,
    state: states[i] as RuntimeEndpoint['state'],
  }));
}

export function registry(options: EndpointStateRegistryOptions = {}): EndpointStateRegistry {
  return new EndpointStateRegistry({ random: seeded(42), affinityKey: 'test-key', ...options });
}

export function balancer(
  state: EndpointStateRegistry,
  list: readonly RuntimeEndpoint[],
  policy: LoadBalancerPolicy,
  affinity: Affinity | null = null,
  panicThresholdPercent = 50,
): BackendBalancer {
  return new BackendBalancer({
    backend: BACKEND,
    endpoints: list,
    policy,
    affinity,
    panicThresholdPercent,
    registry: state,
  });
}

export function request(
  clientAddress = '127.0.0.1',
  headers: PickRequest['headers'] = {},
  target = '/',
): PickRequest {
  const query = target.indexOf('?');
  return { clientAddress, path: query < 0 ? target : target.slice(0, query), target, headers };
}

/** Picks `count` times and counts per endpoint address. */
export function tally(pick: (i: number) => RuntimeEndpoint | null, count: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const endpoint = pick(i);
    const key = endpoint === null ? 'null' : endpoint.address;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export const ips = (n: number): EndpointSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
