/**
 * One broken Ingress next to a good one: the good one serves, the admin snapshot lists the broken one with its
 * reason and file:line, and `tidegate validate` reports it (exit 1) while the good manifests alone pass (exit 0).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess, runCli } from '../support/gateway-process.js';
import { request } from '../support/http-client.js';
import { ingress, type Manifest, service, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { startEchoUpstream } from '../support/upstreams.js';

/** `pathType: Regex` is not one of Exact, Prefix, ImplementationSpecific. */
const BROKEN: Manifest = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'broken', namespace: 'default' },
  spec: {
    ingressClassName: 'tidegate',
    rules: [
      {
        host: 'broken.test',
        http: {
          paths: [
            { path: '/', pathType: 'Regex', backend: { service: { name: 'good', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
};

/** A valid Service first, so the broken Ingress is the second document and its line is not simply 1. */
const BAD_YAML = toYaml([service('filler'), BROKEN]);
/** The 1-based lines the broken document spans, from its `---` separator to the end of the file. */
const BROKEN_FIRST_LINE = BAD_YAML.split('\n').indexOf('---') + 1;
const BROKEN_LAST_LINE = BAD_YAML.split('\n').length;

describe('invalid objects', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;

  before(async () => {
    const upstream = await startEchoUpstream('good');
    cleanups.after(() => upstream.close());
    gateway = await GatewayProcess.start(cleanups, {
      manifests: {
        'good.yaml': toYaml([
          ...serviceWithEndpoints('good', [upstream]),
          ingress('good', { rules: [{ host: 'good.test', paths: [{ path: '/', service: 'good' }] }] }),
        ]),
        'bad.yaml': BAD_YAML,
      },
    });
  });

  function assertBrokenLine(line: number | undefined): void {
    assert.ok(
      line !== undefined && line >= BROKEN_FIRST_LINE && line <= BROKEN_LAST_LINE,
      `line ${line} is outside the broken document (lines ${BROKEN_FIRST_LINE}-${BROKEN_LAST_LINE})`,
    );
  }

  test('the good Ingress serves and the broken one does not', async () => {
    assert.equal((await request(`${gateway.urls.web}/`, { headers: { host: 'good.test' } })).status, 200);
    assert.equal((await request(`${gateway.urls.web}/`, { headers: { host: 'broken.test' } })).status, 404);
  });

  test('the snapshot lists the broken Ingress with a reason and where it was written', async () => {
    const { rejected } = await gateway.snapshot();
    const broken = rejected.find((r) => r.ref.kind === 'Ingress' && r.ref.name === 'broken');
    assert.ok(broken, `Ingress broken is not among the rejected objects: ${JSON.stringify(rejected)}`);
    assert.equal(broken.ref.namespace, 'default');
    const failed = broken.conditions.find((c) => c.status === 'False');
    assert.ok(failed && failed.reason !== '' && failed.message !== '', JSON.stringify(broken.conditions));
    assert.match(broken.origin?.file ?? '', /bad\.yaml$/);
    assertBrokenLine(broken.origin?.line);
    assert.ok(
      !rejected.some((r) => r.ref.name === 'good'),
      `a good object was rejected: ${JSON.stringify(rejected)}`,
    );
  });

  test('tidegate validate prints the broken Ingress with file:line and exits 1', async () => {
    const result = await runCli(['validate', gateway.manifestsDir]);
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    const row = result.stdout.split('\n').find((line) => line.includes('Ingress/default/broken'));
    assert.ok(row, `no row for Ingress/default/broken in:\n${result.stdout}`);
    const where = /bad\.yaml:(\d+)/.exec(row);
    assert.ok(where, `no bad.yaml:<line> in "${row}"`);
    assertBrokenLine(Number(where[1]));
    assert.ok(!result.stdout.includes('Ingress/default/good'), result.stdout);
    // The per-kind table: two Ingresses, one rejected; two Services (good, filler), none rejected.
    assert.match(result.stdout, /^KIND +OBJECTS +REJECTED +WARNINGS$/m);
    assert.match(result.stdout, /^Ingress +2 +1 +0$/m);
    assert.match(result.stdout, /^Service +2 +0 +0$/m);
  });

  test('tidegate validate exits 0 on the good manifests alone', async () => {
    const result = await runCli(['validate', join(gateway.manifestsDir, 'good.yaml')]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.doesNotMatch(result.stdout, /^rejected/m);
  });
});
