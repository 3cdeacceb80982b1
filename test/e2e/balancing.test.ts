/**
 * Load-balancing policies through the real gateway and real upstreams on 127.0.0.1: round robin shares exactly,
 * EndpointSlice weights (`tidegate.io/endpoint-weight`) with weighted_round_robin, least_request and ewma steer
 * away from a slow endpoint, maglev keeps a key on one endpoint and spreads keys over all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Answer,
  annotate,
  countBy,
  get,
  type SwitchableUpstream,
  startSwitchableUpstreams,
} from '../support/balancing.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { endpointSlices, ingress, service, toYaml } from '../support/manifests.js';

describe('balancing', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  const upstreams: SwitchableUpstream[] = [];

  const send = (host: string, headers: Record<string, string> = {}): Promise<Answer> =>
    get(gateway.urls.web, host, '/', { headers });

  /** `count` requests, `concurrency` at a time; every answer must be a 200. */
  async function load(host: string, count: number, concurrency: number): Promise<Map<string, number>> {
    const answers: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          const answer = await send(host);
          assert.equal(answer.status, 200, gateway.tail());
          answers.push(answer);
        }
      }),
    );
    return countBy(answers);
  }

  before(async () => {
    upstreams.push(...(await startSwitchableUpstreams(cleanups, ['a', 'b', 'c'])));
    // `a` is slow for the steering services; the others answer at once.
    (upstreams[0] as SwitchableUpstream).behaviour.delayMs = 150;
    const policyService = (name: string, policy: string, extra: Record<string, string> = {}) => [
      annotate(service(name), { 'tidegate.io/load-balance': policy, ...extra }),
      ...endpointSlices(name, upstreams),
    ];
    const [a, b, c] = upstreams as [SwitchableUpstream, SwitchableUpstream, SwitchableUpstream];
    const weighted = [
      annotate(service('weighted'), { 'tidegate.io/load-balance': 'weighted_round_robin' }),
      ...[
        [a, '3'],
        [b, '1'],
        [c, '1'],
      ].flatMap(([upstream, weight]) =>
        endpointSlices('weighted', [upstream as SwitchableUpstream]).map((slice) =>
          annotate(slice, { 'tidegate.io/endpoint-weight': weight as string }),
        ),
      ),
    ];
    const hosts = ['rr', 'weighted', 'least', 'ewma', 'maglev'];
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'services.yaml': toYaml([
          ...policyService('rr', 'round_robin'),
          ...weighted,
          ...policyService('least', 'least_request'),
          ...policyService('ewma', 'ewma'),
          ...policyService('maglev', 'maglev', { 'tidegate.io/upstream-hash-by': '$http_x_user' }),
        ]),
        'ingress.yaml': toYaml([
          ingress('balancing', {
            rules: hosts.map((host) => ({ host: `${host}.test`, paths: [{ path: '/', service: host }] })),
          }),
        ]),
      },
    });
  });

  test('round_robin: sequential requests are shared exactly', async () => {
    const counts = await load('rr.test', 30, 1);
    assert.deepEqual([...counts.values()], [10, 10, 10]);
  });

  test('weighted_round_robin: EndpointSlice weights 3:1:1 are honoured exactly', async () => {
    const counts = await load('weighted.test', 25, 1);
    assert.deepEqual(Object.fromEntries(counts), { a: 15, b: 5, c: 5 });
  });

  test('least_request: a slow endpoint (requests pile up there) gets far less than its third', async () => {
    const counts = await load('least.test', 120, 8);
    const slow = counts.get('a') ?? 0;
    assert.ok(slow < 120 * 0.15, `slow endpoint served ${slow} of 120: ${JSON.stringify([...counts])}`);
  });

  test('ewma: after its first slow answers the slow endpoint is avoided', async () => {
    const counts = await load('ewma.test', 60, 1);
    const slow = counts.get('a') ?? 0;
    assert.ok(slow <= 3, `slow endpoint served ${slow} of 60: ${JSON.stringify([...counts])}`);
  });

  test('maglev on $http_x_user: one user, one endpoint; many users spread over all', async () => {
    // The slowness served the steering tests; here it would only make the test long.
    (upstreams[0] as SwitchableUpstream).behaviour.delayMs = 0;
    const seen = new Map<string, string>();
    // 60 users: the chance that a fair hash leaves one of 3 endpoints without any is 3·(2/3)^60 ≈ 1e-10
    // (with 20 it was ~1e-3, and the endpoint names, which hold ephemeral ports, change every run).
    for (let i = 0; i < 120; i++) {
      const user = `user-${i % 60}`;
      const answer = await send('maglev.test', { 'x-user': user });
      assert.equal(answer.status, 200);
      const before = seen.get(user);
      if (before !== undefined) assert.equal(answer.name, before, `user ${user} moved`);
      seen.set(user, answer.name);
    }
    assert.equal(new Set(seen.values()).size, 3);
  });
});
