import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifests } from '../../../src/providers/file/parse-manifests.js';

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n';

test('multi-document YAML yields one object per document with the line of each document', () => {
  const text = `# leading comment\n${SERVICE}---\n${SERVICE.replace('web', 'api')}`;
  const { objects, errors } = parseManifests(text, 'm.yaml');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    objects.map((o) => [o.object.metadata.name, o.origin]),
    [
      ['web', { provider: 'file', file: 'm.yaml', line: 2 }],
      ['api', { provider: 'file', file: 'm.yaml', line: 7 }],
    ],
  );
  assert.equal(objects[0]?.object.kind, 'Service');
});

test('empty and comment-only documents are skipped', () => {
  const text = `---\n# nothing here\n---\n\n---\n${SERVICE}---\n`;
  const { objects, errors } = parseManifests(text, 'm.yaml', 'custom');
  assert.deepEqual(errors, []);
  assert.equal(objects.length, 1);
  assert.deepEqual(objects[0]?.origin, { provider: 'custom', file: 'm.yaml', line: 6 });
  assert.deepEqual(parseManifests('', 'e.yaml'), { objects: [], errors: [] });
  assert.deepEqual(parseManifests('# only\n', 'e.yaml'), { objects: [], errors: [] });
});

test('JSON is parsed like YAML', () => {
  const json = JSON.stringify(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } },
    null,
    2,
  );
  const { objects, errors } = parseManifests(`\n${json}\n`, 'c.json');
  assert.deepEqual(errors, []);
  assert.equal(objects.length, 1);
  assert.equal(objects[0]?.object.metadata.namespace, 'ns');
  assert.equal(objects[0]?.origin.line, 2);
});

test('kind: List and *List expand to their items, each with its own line', () => {
  const text = [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '  - apiVersion: v1',
    '    kind: Service',
    '    metadata: { name: a }',
    '  - apiVersion: v1',
    '    kind: Service',
    '    metadata: { name: b }',
    '  - kind: Service',
    '    metadata: { name: c }',
    '---',
    'apiVersion: v1',
    'kind: ServiceList',
    'items: [{ apiVersion: v1, kind: Service, metadata: { name: d } }]',
    '',
  ].join('\n');
  const { objects, errors } = parseManifests(text, 'l.yaml');
  assert.deepEqual(
    objects.map((o) => [o.object.metadata.name, o.origin.line]),
    [
      ['a', 4],
      ['b', 7],
      ['d', 15],
    ],
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.origin.line, 10);
  assert.match(errors[0]?.message ?? '', /apiVersion: missing/);
});

test('envelope problems name the field and the document line', () => {
  const cases: [string, RegExp][] = [
    ['kind: Service\nmetadata: { name: a }\n', /^apiVersion: missing/],
    ['apiVersion: v1\nkind: ""\nmetadata: { name: a }\n', /^kind: expected a non-empty string/],
    ['apiVersion: v1\nkind: Service\n', /^metadata: missing/],
    ['apiVersion: v1\nkind: Service\nmetadata: [a]\n', /^metadata: expected an object/],
    ['apiVersion: v1\nkind: Service\nmetadata: { namespace: x }\n', /^metadata\.name: missing/],
    [
      'apiVersion: v1\nkind: Service\nmetadata: { name: 7 }\n',
      /^metadata\.name: expected a non-empty string, got number 7/,
    ],
    [
      'apiVersion: v1\nkind: Service\nmetadata: { name: a, namespace: 3 }\n',
      /^metadata\.namespace: expected/,
    ],
    ['- just\n- a list\n', /^expected a Kubernetes object/],
    ['hello\n', /^expected a Kubernetes object/],
  ];
  for (const [doc, message] of cases) {
    const { objects, errors } = parseManifests(`${SERVICE}---\n${doc}`, 'bad.yaml');
    assert.equal(objects.length, 1, doc);
    assert.equal(errors.length, 1, doc);
    assert.match(errors[0]?.message ?? '', message);
    assert.deepEqual(errors[0]?.origin, { provider: 'file', file: 'bad.yaml', line: 6 });
  }
});

test('a YAML syntax error is one error with its line; the other documents are still returned', () => {
  const text = `${SERVICE}---\napiVersion: v1\nkind: Service\nmetadata: { name: [broken\n---\n${SERVICE.replace('web', 'after')}`;
  const { objects, errors } = parseManifests(text, 's.yaml');
  assert.deepEqual(
    objects.map((o) => o.object.metadata.name),
    ['web', 'after'],
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /^YAML syntax error: /);
  assert.doesNotMatch(errors[0]?.message ?? '', /\n/);
  const line = errors[0]?.origin.line ?? 0;
  assert.ok(line >= 6 && line <= 9, `line ${line}`);
});

test('duplicate keys and tab indentation are syntax errors, never exceptions', () => {
  const dup = parseManifests('apiVersion: v1\nkind: A\nkind: B\nmetadata: { name: a }\n', 'd.yaml');
  assert.equal(dup.objects.length, 0);
  assert.equal(dup.errors.length, 1);
  assert.equal(dup.errors[0]?.origin.line, 3);
  const tabs = parseManifests('apiVersion: v1\nmetadata:\n\tname: a\n', 't.yaml');
  assert.equal(tabs.objects.length, 0);
  assert.equal(tabs.errors.length, 1);
});

test('an alias bomb is rejected instead of expanded', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++)
    levels.push(
      `l${i}: &l${i} [${Array(10)
        .fill(i === 1 ? '*a' : `*l${i - 1}`)
        .join(', ')}]`,
    );
  const { objects, errors } = parseManifests(`${levels.join('\n')}\n`, 'bomb.yaml');
  assert.equal(objects.length, 0);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /^YAML: /);
});
