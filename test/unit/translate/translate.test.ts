import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PathMatch } from '../../../src/ir/types.js';
import type { KubeObject, SourcedObject } from '../../../src/objects/envelope.js';
import { compilePathMatch } from '../../../src/router/path-match.js';
import { PathRouter } from '../../../src/router/path-router.js';
import { compareRoutePrecedence } from '../../../src/translate/ingress/route-order.js';
import { translate } from '../../../src/translate/translate.js';
import { seeded } from '../../support/seeded-random.js';
import { GOLDEN_OPTIONS } from './golden-support.js';

const sourced = (object: unknown, line = 1): SourcedObject => ({
  object: object as KubeObject,
  origin: { provider: 'test', file: 'test.yaml', line },
});

describe('translate never throws on user input', () => {
  test('malformed bodies of every kind are rejected one by one', () => {
    const garbage: unknown[] = [
      'a string',
      42,
      null,
      [],
      { rules: 'nope' },
      { rules: [{ http: { paths: [{}] } }] },
    ];
    const objects: SourcedObject[] = [];
    const kinds = [
      ['networking.k8s.io/v1', 'Ingress', 'spec'],
      ['networking.k8s.io/v1', 'IngressClass', 'spec'],
      ['v1', 'Service', 'spec'],
      ['v1', 'Endpoints', 'subsets'],
      ['discovery.k8s.io/v1', 'EndpointSlice', 'endpoints'],
    ] as const;
    for (const [apiVersion, kind, field] of kinds) {
      garbage.forEach((value, index) => {
        objects.push(
          sourced({
            apiVersion,
            kind,
            metadata: { name: `${kind.toLowerCase()}-${index}`, annotations: value, labels: value },
            [field]: value,
          }),
        );
      });
    }
    const { ir, statuses } = translate(objects, GOLDEN_OPTIONS);
    assert.deepEqual(ir, { virtualHosts: [], backends: [], certificates: [] });
    assert.equal(statuses.length, objects.length, 'every object gets a status');
    const accepted = statuses
      .filter((s) => !s.conditions.some((c) => c.status === 'False'))
      .map((s) => `${s.ref.kind}/${s.ref.name}`);
    // Legitimately valid: empty subsets, and Service specs that are empty (null) or carry only unknown fields.
    assert.deepEqual(accepted, [
      'Endpoints/endpoints-3',
      'Service/service-2',
      'Service/service-4',
      'Service/service-5',
    ]);
  });

  test('a referenced Secret with non-string data is InvalidSecret, and its contents never reach a message', () => {
    const objects = [
      sourced({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t', 'tls.key': 'c3VwZXItc2VjcmV0' },
      }),
      sourced({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web' },
        spec: {
          tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
          defaultBackend: { service: { name: 'missing', port: { number: 80 } } },
        },
      }),
    ];
    const { ir, statuses } = translate(objects, GOLDEN_OPTIONS);
    assert.deepEqual(ir.certificates, []);
    const text = JSON.stringify(statuses);
    assert.match(text, /InvalidSecret/);
    assert.doesNotMatch(text, /c3VwZXItc2VjcmV0|super-secret|LS0tLS1CRUdJTi/);
  });
});

describe('route precedence with the first-match router', () => {
  type LiteralMatch = Extract<PathMatch, { type: 'Exact' | 'Prefix' }>;

  /** The Ingress spec, independently: the longest matching path wins, Exact over Prefix on equal length. */
  function specWinner(matches: readonly LiteralMatch[], path: string): string | null {
    let best: LiteralMatch | null = null;
    for (const match of matches) {
      const ok =
        match.type === 'Exact'
          ? path === match.path
          : match.path === '/' || path === match.path || path.startsWith(`${match.path}/`);
      if (!ok) continue;
      if (
        best === null ||
        match.path.length > best.path.length ||
        (match.path.length === best.path.length && match.type === 'Exact')
      ) {
        best = match;
      }
    }
    return best === null ? null : `${best.type} ${best.path}`;
  }

  test('sorting by compareRoutePrecedence makes first match equal to the spec on random route sets', () => {
    const random = seeded(7);
    const segments = ['a', 'ab', 'b', 'abc'];
    const randomPath = (): string => {
      const depth = 1 + Math.floor(random() * 3);
      let path = '';
      for (let i = 0; i < depth; i++) path += `/${segments[Math.floor(random() * segments.length)]}`;
      return random() < 0.2 ? `${path}/` : path;
    };
    for (let round = 0; round < 300; round++) {
      const seen = new Set<string>();
      const matches: LiteralMatch[] = [];
      for (let i = 0; i < 6; i++) {
        const type = random() < 0.5 ? 'Exact' : 'Prefix';
        const raw = random() < 0.1 ? '/' : randomPath();
        const path = type === 'Prefix' && raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
        const key = `${type} ${path}`;
        if (seen.has(key)) continue;
        seen.add(key);
        matches.push({ type, path });
      }
      const ranked = matches
        .map((match, pathOrder) => ({ match, fallback: false, ingressOrder: 0, pathOrder }))
        .sort(compareRoutePrecedence);
      const router = new PathRouter(
        ranked.map(({ match }) => ({
          match: compilePathMatch(match),
          value: `${match.type} ${match.path}`,
        })),
      );
      for (let i = 0; i < 20; i++) {
        const path = randomPath();
        assert.equal(
          router.match(path),
          specWinner(matches, path),
          `${path} against ${JSON.stringify(matches)}`,
        );
      }
    }
  });

  test('the defaultBackend fallback ranks after every rule path, even the root prefix', () => {
    const root = {
      match: { type: 'Prefix', path: '/' } as PathMatch,
      fallback: false,
      ingressOrder: 5,
      pathOrder: 9,
    };
    const fallback = {
      match: { type: 'Prefix', path: '/' } as PathMatch,
      fallback: true,
      ingressOrder: 0,
      pathOrder: 0,
    };
    assert.ok(compareRoutePrecedence(root, fallback) < 0);
  });
});
