/**
 * Enforces the design note's layering: a folder of src/ imports only the folders listed for it, and the pure
 * zones use no node I/O, no global clock and no randomness. Reads the TypeScript sources, not the build.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = 'src';

/** Folder → folders it may import (besides itself). Type-only imports of observability are allowed everywhere. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  cli: ['*'],
  demo: ['config', 'core', 'observability', 'proxy'],
  admin: ['control', 'runtime', 'registry', 'observability', 'ir', 'objects', 'core'],
  control: [
    'providers',
    'translate',
    'ir',
    'runtime',
    'health',
    'endpoints',
    'resilience',
    'observability',
    'objects',
    'core',
  ],
  providers: ['objects', 'registry', 'core'],
  registry: ['objects', 'core'],
  proxy: ['runtime', 'endpoints', 'resilience', 'observability', 'ir', 'core'],
  l4: ['runtime', 'endpoints', 'observability', 'core'],
  health: ['ir', 'endpoints', 'observability', 'core'],
  runtime: ['ir', 'router', 'balancer', 'filters', 'endpoints', 'resilience', 'observability', 'core'],
  resilience: ['endpoints', 'ir', 'core'],
  translate: ['objects', 'ir', 'core'],
  filters: ['ir', 'core'],
  balancer: ['endpoints', 'core'],
  router: ['core'],
  endpoints: ['core'],
  objects: ['core'],
  ir: ['core'],
  config: ['core'],
  observability: ['core'],
  core: [],
};

/** Type-only imports that cross a layer on purpose: the runtime table's shapes are the pickers' vocabulary. */
const TYPE_EXCEPTIONS: Readonly<Record<string, readonly string[]>> = {
  balancer: ['runtime', 'ir'],
  router: ['ir'],
};

const PURE = ['core', 'objects', 'ir', 'translate', 'router', 'balancer', 'filters', 'resilience'];
const PURE_FILES = ['runtime/compile.ts'];
/** The one place allowed to read the system clock. */
const CLOCK_SOURCE = 'core/clock.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

interface ImportLine {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

function importsOf(text: string): ImportLine[] {
  const out: ImportLine[] = [];
  const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    out.push({ specifier: m[2] as string, typeOnly: m[1] !== undefined });
  }
  return out;
}

const files = sourceFiles(SRC).map((file) => ({ file, rel: relative(SRC, file).replaceAll('\\', '/') }));

test('every src folder is known to the layering table', () => {
  const folders = new Set(files.map((f) => f.rel.split('/')[0] as string));
  for (const folder of folders)
    assert.ok(folder in ALLOWED, `src/${folder} is missing from the layering table`);
});

test('folders import only the folders below them', () => {
  const violations: string[] = [];
  for (const { file, rel } of files) {
    const folder = rel.split('/')[0] as string;
    const allowed = ALLOWED[folder] ?? [];
    if (allowed.includes('*')) continue;
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(SRC, join(file, '..', specifier))
        .replaceAll('\\', '/')
        .split('/')[0] as string;
      if (target === folder || allowed.includes(target)) continue;
      if (typeOnly && (target === 'observability' || (TYPE_EXCEPTIONS[folder] ?? []).includes(target)))
        continue;
      violations.push(`src/${rel} imports ${specifier} (${folder} → ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('pure zones use no node I/O, no global clock and no randomness', () => {
  const violations: string[] = [];
  for (const { file, rel } of files) {
    const pure = PURE.includes(rel.split('/')[0] as string) || PURE_FILES.includes(rel);
    if (!pure || rel === CLOCK_SOURCE) continue;
    const text = readFileSync(file, 'utf8');
    for (const { specifier, typeOnly } of importsOf(text)) {
      if (
        !typeOnly &&
        (specifier.startsWith('node:') || ['fs', 'net', 'http', 'https', 'dns', 'tls'].includes(specifier))
      ) {
        violations.push(`src/${rel} imports ${specifier}`);
      }
    }
    for (const forbidden of ['Date.now(', 'new Date(', 'Math.random(', 'performance.now(', 'process.env']) {
      if (text.includes(forbidden)) violations.push(`src/${rel} uses ${forbidden}`);
    }
  }
  assert.deepEqual(violations, []);
});
