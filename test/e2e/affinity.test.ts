/**
 * Session affinity through two real gateway processes sharing one configuration (as two workers or replicas
 * would): Service `sessionAffinity: ClientIP` from several 127.0.0.x source addresses, and ingress-nginx cookie
 * affinity, including the cookie attributes and failover when the pinned endpoint fails its health checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  annotate,
  get,
  type SwitchableUpstream,
  startSwitchableUpstreams,
  withSpec,
} from '../support/balancing.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { endpointSlices, ingress, service, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { waitUntil } from '../support/wait.js';

const AFFINITY_KEY = 'e2e-affinity-key-0123456789';

describe('affinity', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  const gateways: GatewayProcess[] = [];
  const upstreams: SwitchableUpstream[] = [];
  /** `affinity-mode: balanced` on a Service the test scales from two endpoints to four. */
  const balancedManifests = (endpoints: readonly SwitchableUpstream[]): string =>
    toYaml([
      ...serviceWithEndpoints('sticky-balanced', endpoints),
      ingress('balanced', {
        annotations: {
          'nginx.ingress.kubernetes.io/affinity': 'cookie',
          'nginx.ingress.kubernetes.io/affinity-mode': 'balanced',
          'nginx.ingress.kubernetes.io/session-cookie-name': 'session',
        },
        rules: [{ host: 'balanced.test', paths: [{ path: '/', service: 'sticky-balanced' }] }],
      }),
    ]);

  before(async () => {
    upstreams.push(...(await startSwitchableUpstreams(cleanups, ['a', 'b', 'c', 'd'])));
    const manifests: Record<string, string> = {
      'services.yaml': toYaml([
        withSpec(service('sticky-ip'), {
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        }),
        ...endpointSlices('sticky-ip', upstreams),
        // Fast active checks so that the failover test does not wait long.
        annotate(service('sticky-cookie'), {
          'tidegate.io/health-check-path': '/healthz',
          'tidegate.io/health-check-interval': '100ms',
          'tidegate.io/health-check-unhealthy-threshold': '1',
          'tidegate.io/health-check-healthy-threshold': '1',
          // One of four down must not trigger panic mode.
          'tidegate.io/panic-threshold': '10',
        }),
        ...endpointSlices('sticky-cookie', upstreams),
      ]),
      'ingress.yaml': toYaml([
        ingress('ip', { rules: [{ host: 'ip.test', paths: [{ path: '/', service: 'sticky-ip' }] }] }),
        ingress('cookie', {
          annotations: {
            'nginx.ingress.kubernetes.io/affinity': 'cookie',
            'nginx.ingress.kubernetes.io/affinity-mode': 'persistent',
            'nginx.ingress.kubernetes.io/session-cookie-name': 'route',
            'nginx.ingress.kubernetes.io/session-cookie-max-age': '3600',
            'nginx.ingress.kubernetes.io/session-cookie-samesite': 'Strict',
          },
          rules: [{ host: 'cookie.test', paths: [{ path: '/', service: 'sticky-cookie' }] }],
        }),
      ]),
    };
    manifests['balanced.yaml'] = balancedManifests(upstreams.slice(0, 2));
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await GatewayProcess.start(cleanups, {
          manifests,
          config: { loadBalancing: { affinityKey: AFFINITY_KEY } },
        }),
      );
    }
  });

  test('ClientIP: each source address sticks to one endpoint, the same one in both processes', async () => {
    const chosen = new Map<string, string>();
    for (let i = 2; i <= 21; i++) {
      const localAddress = `127.0.0.${i}`;
      for (const gateway of gateways) {
        for (let n = 0; n < 3; n++) {
          const answer = await get(gateway.urls.web, 'ip.test', '/', { localAddress });
          assert.equal(answer.status, 200);
          const previous = chosen.get(localAddress);
          if (previous !== undefined) assert.equal(answer.name, previous, `${localAddress} moved`);
          chosen.set(localAddress, answer.name);
        }
      }
    }
    assert.ok(new Set(chosen.values()).size >= 3, `clients spread: ${JSON.stringify([...chosen])}`);
  });

  test('cookie: the first answer pins the client; both processes honour the cookie; attributes as annotated', async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const first = await get(one.urls.web, 'cookie.test', '/');
    assert.equal(first.status, 200);
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^route=[0-9a-f]{32}; Path=\/; Max-Age=3600; SameSite=Strict; HttpOnly$/);
    const cookie = setCookie.slice(0, setCookie.indexOf(';'));
    for (let i = 0; i < 10; i++) {
      const answer = await get((i % 2 === 0 ? one : two).urls.web, 'cookie.test', '/', {
        headers: { cookie },
      });
      assert.equal(answer.name, first.name);
      assert.equal(answer.headers['set-cookie'], undefined, 'no new cookie while pinned');
    }
  });

  test('cookie: when the pinned endpoint fails its health checks the client moves and gets a new cookie', async () => {
    const [one] = gateways as [GatewayProcess];
    const first = await get(one.urls.web, 'cookie.test', '/');
    const cookie = (first.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
    const pinned = upstreams.find((u) => u.name === first.name) as SwitchableUpstream;
    pinned.behaviour.healthStatus = 503;
    try {
      const moved = await waitUntil(
        async () => {
          const answer = await get(one.urls.web, 'cookie.test', '/', { headers: { cookie } });
          return answer.status === 200 && answer.name !== pinned.name ? answer : null;
        },
        { timeoutMs: 5_000, what: 'the client to leave its unhealthy endpoint' },
      );
      const renewed = moved.headers['set-cookie']?.[0] ?? '';
      assert.match(renewed, /^route=[0-9a-f]{32};/);
      assert.notEqual(renewed.split(';')[0], cookie);
      const snapshot = await one.snapshot();
      const endpoint = snapshot.backends
        .find((b) => b.name === 'backend/default/sticky-cookie/80')
        ?.endpoints.find((e) => e.port === pinned.port);
      assert.equal(endpoint?.health?.available, false);
      assert.equal(endpoint?.health?.lastCheck, 'fail');
    } finally {
      pinned.behaviour.healthStatus = 200;
    }
  });

  test('cookie, balanced mode: a scale-up moves about the new share of sessions to the new endpoints', async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const sessions: { cookie: string; name: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const answer = await get(one.urls.web, 'balanced.test', '/');
      assert.equal(answer.status, 200);
      const setCookie = answer.headers['set-cookie']?.[0] ?? '';
      assert.match(setCookie, /^session=[0-9a-f]{8}; Path=\/; HttpOnly$/);
      sessions.push({ cookie: setCookie.slice(0, setCookie.indexOf(';')), name: answer.name });
    }
    assert.deepEqual(new Set(sessions.map((s) => s.name)), new Set(['a', 'b']));
    for (const gateway of gateways)
      await gateway.writeManifest('balanced.yaml', balancedManifests(upstreams));
    for (const gateway of gateways) {
      await waitUntil(
        async () =>
          (await gateway.snapshot()).backends.find((b) => b.name === 'backend/default/sticky-balanced/80')
            ?.endpoints.length === 4,
        { timeoutMs: 10_000, what: 'the scaled-up endpoint set to be served' },
      );
    }
    let moved = 0;
    for (const session of sessions) {
      const [viaOne, viaTwo] = [
        await get(one.urls.web, 'balanced.test', '/', { headers: { cookie: session.cookie } }),
        await get(two.urls.web, 'balanced.test', '/', { headers: { cookie: session.cookie } }),
      ];
      assert.equal(viaOne.name, viaTwo.name, 'both processes map a session to the same endpoint');
      // The session key itself leads to the new endpoint: no new cookie either way.
      assert.equal(viaOne.headers['set-cookie'], undefined);
      if (viaOne.name === session.name) continue;
      assert.ok(
        viaOne.name === 'c' || viaOne.name === 'd',
        `a session moved between old endpoints: ${viaOne.name}`,
      );
      moved++;
    }
    // Two of four endpoints are new: half of the sessions should move (binomial, 40 draws: 8–32 is > 99.9%).
    assert.ok(moved >= 8 && moved <= 32, `${moved} of 40 sessions moved`);
  });
});
