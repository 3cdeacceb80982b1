import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ObjectSet } from '../../../src/objects/envelope.js';
import { createLogger } from '../../../src/observability/logger.js';
import { FileProvider, loadObjectFiles } from '../../../src/providers/file/file-provider.js';
import { waitUntil, withTimeout } from '../../support/wait.js';

const WAIT = { timeoutMs: 5000, intervalMs: 20 };
const DEBOUNCE_MS = 50;

let root = '';
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tidegate-file-provider-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory per test so watchers of one test never see another's files. */
async function freshDir(): Promise<string> {
  const dir = join(root, `t${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

function configMap(name: string, value = 'v'): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

const names = (set: ObjectSet | undefined): string[] =>
  (set?.objects ?? []).map((o) => o.object.metadata.name);
const dataValue = (set: ObjectSet | undefined, name: string): unknown =>
  (set?.objects.find((o) => o.object.metadata.name === name)?.object.data as { value?: unknown } | undefined)
    ?.value;

/** Runs a watching provider, collecting every emitted set and the log lines. */
function start(paths: readonly string[], watch = true, progressEveryMs?: number) {
  const sets: ObjectSet[] = [];
  const logs: { level: string; msg: string; [field: string]: unknown }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(JSON.parse(chunk.toString()) as { level: string; msg: string });
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', destination });
  const abort = new AbortController();
  const provider = new FileProvider({ paths, watch, debounceMs: DEBOUNCE_MS, logger, progressEveryMs });
  const done = provider.run((set) => sets.push(set), abort.signal);
  const latest = (): ObjectSet | undefined => sets[sets.length - 1];
  const stop = async (): Promise<void> => {
    abort.abort();
    await withTimeout(done, 5000, 'the provider to stop');
  };
  return { sets, logs, latest, stop, done };
}

test('loadObjectFiles walks directories in sorted order and skips dot entries and other extensions', async () => {
  const dir = await freshDir();
  await mkdir(join(dir, 'b-sub'), { recursive: true });
  await mkdir(join(dir, '.hidden'), { recursive: true });
  await writeFile(join(dir, 'c.yaml'), configMap('c'));
  await writeFile(join(dir, 'a.yml'), `${configMap('a1')}---\n${configMap('a2')}`);
  await writeFile(
    join(dir, 'b-sub', 'b.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }),
  );
  await writeFile(join(dir, '.c.yaml.swp'), configMap('swap'));
  await writeFile(join(dir, '.hidden', 'h.yaml'), configMap('hidden'));
  await writeFile(join(dir, 'notes.txt'), configMap('txt'));
  await writeFile(join(dir, 'bad.yaml'), 'kind: ConfigMap\nmetadata: { name: x }\n');
  // A single file given next to its directory is read once.
  const set = await loadObjectFiles([dir, join(dir, 'c.yaml'), join(dir, 'nope.yaml')]);
  assert.equal(set.provider, 'file');
  assert.deepEqual(names(set), ['a1', 'a2', 'b', 'c']);
  assert.deepEqual(set.objects[1]?.origin, { provider: 'file', file: join(dir, 'a.yml'), line: 8 });
  assert.deepEqual(
    set.errors.map((e) => [e.origin.file, e.origin.line, e.message]),
    [
      [join(dir, 'nope.yaml'), undefined, 'no such file or directory'],
      [join(dir, 'bad.yaml'), 1, 'apiVersion: missing'],
    ],
  );
});

test('loadObjectFiles follows a ConfigMap volume layout once, through the visible symlinks', async () => {
  const dir = await freshDir();
  await mkdir(join(dir, '..2024_01_01'));
  await writeFile(join(dir, '..2024_01_01', 'routes.yaml'), configMap('routes'));
  await symlink('..2024_01_01', join(dir, '..data'));
  await symlink(join('..data', 'routes.yaml'), join(dir, 'routes.yaml'));
  const set = await loadObjectFiles([dir], 'custom');
  assert.deepEqual(names(set), ['routes']);
  assert.deepEqual(set.objects[0]?.origin, { provider: 'custom', file: join(dir, 'routes.yaml'), line: 1 });
  assert.deepEqual(set.errors, []);
});

test('origins under the working directory are shown relative to it', async () => {
  const set = await loadObjectFiles(['examples/quickstart/manifests']);
  assert.ok(set.objects.length > 0);
  for (const { origin } of set.objects) assert.match(origin.file ?? '', /^examples\/quickstart\/manifests\//);
});

test('without watch the provider emits once and returns', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a'));
  const run = start([dir], false);
  await withTimeout(run.done, 5000, 'run to return without an abort');
  assert.equal(run.sets.length, 1);
  assert.deepEqual(names(run.latest()), ['a']);
  assert.ok(run.logs.some((l) => l.level === 'debug' && l.msg === 'loaded 1 objects from 1 files'));
});

test('emits the initial set, then an edit', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a', 'one'));
  const run = start([dir]);
  try {
    await waitUntil(() => run.sets.length === 1, { ...WAIT, what: 'the initial set' });
    assert.equal(dataValue(run.latest(), 'a'), 'one');
    await writeFile(join(dir, 'a.yaml'), configMap('a', 'two'));
    await waitUntil(() => dataValue(run.latest(), 'a') === 'two', { ...WAIT, what: 'the edit' });
  } finally {
    await run.stop();
  }
});

test('a burst of 20 writes is coalesced into few emits ending with the last content', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a', 'start'));
  const run = start([dir]);
  try {
    await waitUntil(() => run.sets.length === 1, { ...WAIT, what: 'the initial set' });
    // Synchronous writes: the burst is over before the first event is even handled, however loaded the machine is.
    for (let i = 1; i <= 20; i++) writeFileSync(join(dir, 'a.yaml'), configMap('a', `v${i}`));
    await waitUntil(() => dataValue(run.latest(), 'a') === 'v20', { ...WAIT, what: 'the last write' });
    await delay(DEBOUNCE_MS * 4);
    assert.ok(run.sets.length - 1 <= 3, `${run.sets.length - 1} emits for one burst`);
    assert.equal(dataValue(run.latest(), 'a'), 'v20');
  } finally {
    await run.stop();
  }
});

test('an atomic rename over a watched file (editor save) is seen, for a directory and for a single file', async () => {
  const dir = await freshDir();
  const file = join(dir, 'a.yaml');
  await writeFile(file, configMap('a', 'old'));
  const viaDir = start([dir]);
  const viaFile = start([file]);
  try {
    await waitUntil(() => viaDir.sets.length === 1 && viaFile.sets.length === 1, {
      ...WAIT,
      what: 'the initial sets',
    });
    await writeFile(join(dir, '.a.yaml.tmp'), configMap('a', 'renamed'));
    await rename(join(dir, '.a.yaml.tmp'), file);
    await waitUntil(() => dataValue(viaDir.latest(), 'a') === 'renamed', {
      ...WAIT,
      what: 'the directory reload',
    });
    await waitUntil(() => dataValue(viaFile.latest(), 'a') === 'renamed', {
      ...WAIT,
      what: 'the file reload',
    });
    // Twice, since the first rename replaced the inode a naive watch would have followed.
    await writeFile(join(dir, '.a.yaml.tmp'), configMap('a', 'again'));
    await rename(join(dir, '.a.yaml.tmp'), file);
    await waitUntil(() => dataValue(viaFile.latest(), 'a') === 'again', {
      ...WAIT,
      what: 'the second file reload',
    });
    // Node 20's recursive watcher on Linux went quiet here for the directory case.
    await waitUntil(() => dataValue(viaDir.latest(), 'a') === 'again', {
      ...WAIT,
      what: 'the second directory reload',
    });
  } finally {
    await viaDir.stop();
    await viaFile.stop();
  }
});

test('a ConfigMap symlink swap is seen when the configured path is a file', async () => {
  const dir = await freshDir();
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'routes.yaml'), configMap('routes', 'v1'));
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'routes.yaml'), join(dir, 'routes.yaml'));
  const run = start([join(dir, 'routes.yaml')]);
  try {
    await waitUntil(() => dataValue(run.latest(), 'routes') === 'v1', { ...WAIT, what: 'the initial set' });
    // What the kubelet does: write a new timestamped directory, point `..data_tmp` at it, rename over `..data`.
    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'routes.yaml'), configMap('routes', 'v2'));
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitUntil(() => dataValue(run.latest(), 'routes') === 'v2', {
      ...WAIT,
      what: 'the swapped content',
    });
  } finally {
    await run.stop();
  }
});

test('deleting a file removes its objects', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a'));
  await writeFile(join(dir, 'b.yaml'), configMap('b'));
  const run = start([dir]);
  try {
    await waitUntil(() => names(run.latest()).length === 2, { ...WAIT, what: 'the initial set' });
    await unlink(join(dir, 'b.yaml'));
    await waitUntil(() => names(run.latest()).join() === 'a', { ...WAIT, what: 'the set without b' });
    assert.deepEqual(run.latest()?.errors, []);
  } finally {
    await run.stop();
  }
});

test('a missing directory is reported, then picked up once created', async () => {
  const dir = await freshDir();
  const missing = join(dir, 'later', 'manifests');
  const run = start([missing]);
  try {
    await waitUntil(() => run.sets.length === 1, { ...WAIT, what: 'the initial set' });
    assert.deepEqual(names(run.latest()), []);
    assert.deepEqual(
      run.latest()?.errors.map((e) => [e.origin.file, e.message]),
      [[missing, 'no such file or directory']],
    );
    assert.ok(run.logs.some((l) => l.level === 'warn' && /does not exist/.test(l.msg)));
    await mkdir(missing, { recursive: true });
    await writeFile(join(missing, 'a.yaml'), configMap('a', 'first'));
    await waitUntil(() => dataValue(run.latest(), 'a') === 'first', {
      ...WAIT,
      what: 'the created directory',
    });
    assert.deepEqual(run.latest()?.errors, []);
    // Now watched as a directory: later edits inside it arrive too.
    await writeFile(join(missing, 'a.yaml'), configMap('a', 'second'));
    await waitUntil(() => dataValue(run.latest(), 'a') === 'second', {
      ...WAIT,
      what: 'an edit in the created directory',
    });
  } finally {
    await run.stop();
  }
});

test('a watched directory deleted and created again is still watched', async () => {
  const dir = await freshDir();
  const watched = join(dir, 'm');
  await mkdir(watched);
  await writeFile(join(watched, 'a.yaml'), configMap('a', 'one'));
  const run = start([watched]);
  try {
    await waitUntil(() => dataValue(run.latest(), 'a') === 'one', { ...WAIT, what: 'the initial set' });
    await rm(watched, { recursive: true });
    await waitUntil(() => names(run.latest()).length === 0, { ...WAIT, what: 'the empty set' });
    await mkdir(watched);
    await writeFile(join(watched, 'a.yaml'), configMap('a', 'two'));
    await waitUntil(() => dataValue(run.latest(), 'a') === 'two', {
      ...WAIT,
      what: 'the recreated directory',
    });
  } finally {
    await run.stop();
  }
});

test('after abort nothing is emitted and run resolves', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a'));
  const run = start([dir]);
  await waitUntil(() => run.sets.length === 1, { ...WAIT, what: 'the initial set' });
  await run.stop();
  await writeFile(join(dir, 'a.yaml'), configMap('a', 'after-abort'));
  await writeFile(join(dir, 'b.yaml'), configMap('b'));
  await delay(DEBOUNCE_MS * 4);
  assert.equal(run.sets.length, 1);
});

test('an abort during the debounce window cancels the pending reload', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a'));
  const run = start([dir]);
  await waitUntil(() => run.sets.length === 1, { ...WAIT, what: 'the initial set' });
  await writeFile(join(dir, 'a.yaml'), configMap('a', 'pending'));
  await run.stop();
  await delay(DEBOUNCE_MS * 4);
  assert.equal(run.sets.length, 1);
});

test('files in a subdirectory created after start are watched, including renames over them', async () => {
  const dir = await freshDir();
  const provider = start([dir]);
  try {
    await waitUntil(() => provider.sets.length === 1, { ...WAIT, what: 'the initial set' });
    await mkdir(join(dir, 'team', 'shop'), { recursive: true });
    await writeFile(join(dir, 'team', 'shop', 'b.yaml'), configMap('b', 'first'));
    await waitUntil(() => dataValue(provider.latest(), 'b') === 'first', {
      ...WAIT,
      what: 'the nested file',
    });
    for (const value of ['second', 'third']) {
      await writeFile(join(dir, '.b.tmp'), configMap('b', value));
      await rename(join(dir, '.b.tmp'), join(dir, 'team', 'shop', 'b.yaml'));
      await waitUntil(() => dataValue(provider.latest(), 'b') === value, {
        ...WAIT,
        what: `the ${value} version`,
      });
    }
  } finally {
    await provider.stop();
  }
});

test('a load of 5000 objects logs its progress at info, then counts per kind', async () => {
  const dir = await freshDir();
  const FILES = 500;
  for (let f = 0; f < FILES; f++) {
    const documents: string[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `o-${f}-${i}`;
      documents.push(
        i % 2 === 0
          ? configMap(name)
          : `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\nspec: {}\n`,
      );
    }
    await writeFile(join(dir, `f${String(f).padStart(4, '0')}.yaml`), documents.join('---\n'));
  }
  // A report before every file: the default (once a second) depends on how fast this machine is.
  const run = start([dir], false, 0);
  await withTimeout(run.done, 20_000, 'the large load');
  assert.equal(run.latest()?.objects.length, 5000);
  const progress = run.logs.filter((l) => l.msg.startsWith('loading manifests:'));
  assert.equal(progress.length, FILES);
  assert.ok(progress.every((l) => l.level === 'info' && l.totalFiles === FILES));
  assert.deepEqual(
    progress.map((l) => l.files),
    Array.from({ length: FILES }, (_, i) => i),
  );
  assert.equal(progress[FILES - 1]?.objects, (FILES - 1) * 10);
  const summary = run.logs.find((l) => l.msg === `loaded 5000 objects from ${FILES} files`);
  assert.equal(summary?.level, 'info');
  assert.deepEqual(summary?.kinds, { ConfigMap: 2500, Ingress: 2500 });
});

test('a quick load reports no progress and keeps its summary at debug', async () => {
  const dir = await freshDir();
  await writeFile(join(dir, 'a.yaml'), configMap('a'));
  const run = start([dir], false, 60_000);
  await withTimeout(run.done, 5000, 'the load');
  assert.ok(!run.logs.some((l) => l.msg.startsWith('loading manifests:')));
  const summary = run.logs.find((l) => l.msg === 'loaded 1 objects from 1 files');
  assert.equal(summary?.level, 'debug');
  assert.deepEqual(summary?.kinds, { ConfigMap: 1 });
});
