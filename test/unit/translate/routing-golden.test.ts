/**
 * Routing golden files: `test/golden/routing/<case>.in.yaml` is translated and compiled, then every request of
 * `<case>.requests.yaml` (a list of `{host, target}`, target = path and query) is routed through the runtime
 * table; `<case>.out.yaml` lists, per request, the winning route, its backend (or invalid reason) and the
 * upstream target after rewrites. This checks translation's route order against the real first-match router.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { EndpointStateRegistry } from '../../../src/endpoints/endpoint-state-registry.js';
import { compile } from '../../../src/runtime/compile.js';
import { translate } from '../../../src/translate/translate.js';
import { assertGolden, caseNames, loadObjects, loadOptions, toYaml } from './golden-support.js';

const DIR = 'test/golden/routing';

interface RoutingRequest {
  readonly host: string;
  readonly target: string;
}

function loadRequests(name: string): RoutingRequest[] {
  const requests = parse(readFileSync(join(DIR, `${name}.requests.yaml`), 'utf8')) as unknown;
  assert.ok(Array.isArray(requests), `${name}.requests.yaml must be a list of {host, target}`);
  for (const request of requests as unknown[]) {
    const { host, target } = (request ?? {}) as Record<string, unknown>;
    assert.ok(
      typeof host === 'string' && typeof target === 'string',
      `bad request ${JSON.stringify(request)}`,
    );
  }
  return requests as RoutingRequest[];
}

describe('routing golden files', () => {
  const names = caseNames(DIR);
  test('the golden directory has cases', () => {
    assert.ok(names.length > 0, `no *.in.yaml in ${DIR}`);
  });
  for (const name of names) {
    test(name, () => {
      const { ir, statuses } = translate(loadObjects(DIR, name), loadOptions(DIR, name));
      const table = compile(ir, statuses, { version: 1, state: new EndpointStateRegistry() });
      const results = loadRequests(name).map(({ host, target }) => {
        const query = target.indexOf('?');
        const path = query < 0 ? target : target.slice(0, query);
        const route = table.match(host, path);
        const request = `${host} ${target}`;
        if (route === null) return { request, route: null };
        return {
          request,
          route: route.name,
          ...(route.invalid === null
            ? { backend: route.backend?.name ?? null, upstream: route.rewrite(target, path) }
            : { invalid: `${route.invalid.status} ${route.invalid.reason}` }),
          ...(route.httpsRedirect === null ? {} : { httpsRedirect: route.httpsRedirect.status }),
        };
      });
      assertGolden(DIR, name, toYaml(results));
    });
  }
});
