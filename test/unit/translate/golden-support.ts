/**
 * Shared plumbing of the golden-file tests: read a case's manifests and options, translate, and compare a
 * serialisation with the checked-in `.out.yaml` (`UPDATE_GOLDEN=1` rewrites it instead).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { SourcedObject } from '../../../src/objects/envelope.js';
import { parseManifests } from '../../../src/providers/file/parse-manifests.js';
import type { TranslateOptions } from '../../../src/translate/translate.js';

/** The options every case runs with unless its `<case>.options.yaml` overrides some of them. */
export const GOLDEN_OPTIONS: TranslateOptions = {
  ingressClassName: 'tidegate',
  controllerName: 'tidegate.io/ingress-controller',
  watchWithoutClass: true,
  defaults: { connectTimeoutMs: 5000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000, maxBodyBytes: 1_048_576 },
};

export const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Case names (file names without `.in.yaml`) in `dir`, sorted. */
export function caseNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.in.yaml'))
    .map((file) => file.slice(0, -'.in.yaml'.length))
    .sort();
}

/** The objects of `<dir>/<name>.in.yaml`; fails the test on any load error, which would hide a typo. */
export function loadObjects(dir: string, name: string): SourcedObject[] {
  const file = join(dir, `${name}.in.yaml`);
  const { objects, errors } = parseManifests(readFileSync(file, 'utf8'), basename(file));
  assert.deepEqual(errors, [], `${file} has documents that do not load`);
  return objects;
}

/** GOLDEN_OPTIONS with the fields of `<dir>/<name>.options.yaml` (if any) replacing theirs. */
export function loadOptions(dir: string, name: string): TranslateOptions {
  const file = join(dir, `${name}.options.yaml`);
  if (!existsSync(file)) return GOLDEN_OPTIONS;
  const overrides = parse(readFileSync(file, 'utf8')) as Partial<TranslateOptions>;
  return {
    ...GOLDEN_OPTIONS,
    ...overrides,
    defaults: { ...GOLDEN_OPTIONS.defaults, ...(overrides.defaults ?? {}) },
  };
}

/** YAML with insertion-ordered keys (the IR builders fix the order), no line folding and no anchors. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Compares `actual` with `<dir>/<name>.out.yaml`, or writes it there under UPDATE_GOLDEN=1. */
export function assertGolden(dir: string, name: string, actual: string): void {
  const file = join(dir, `${name}.out.yaml`);
  if (UPDATE) {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1, then review it`);
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    `${file} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`,
  );
}
