import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ObjectLoadError, ObjectSet, SourcedObject } from '../../objects/envelope.js';
import { parseManifests } from './parse-manifests.js';

/** An object set together with how many files it was read from, for progress logging. */
export interface LoadedFiles {
  readonly set: ObjectSet;
  readonly fileCount: number;
}

/** Where a load stands: files read (or failed) so far out of those found, and the objects parsed from them. */
export interface LoadProgress {
  readonly files: number;
  readonly totalFiles: number;
  readonly objects: number;
}

/** The one-line form of a progress report, the same in the provider's log and in `tidegate validate`. */
export function progressMessage({ files, totalFiles, objects }: LoadProgress): string {
  return `loading manifests: ${files}/${totalFiles} files, ${objects} objects so far`;
}

/** Reports a running load at most once per `everyMs` (never for a load that ends sooner). */
export interface ProgressReporter {
  readonly everyMs: number;
  report(progress: LoadProgress): void;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/**
 * Reads every manifest under `paths` (files, or directories walked recursively for `*.yaml`, `*.yml`, `*.json` in
 * sorted order) into one complete object set. Dot-files and dot-directories are skipped: editors' swap files and
 * the `..data` / `..2024_…` directories of a Kubernetes ConfigMap volume, whose files are reached through the
 * visible symlinks instead. Missing or unreadable paths become load errors; never throws.
 */
export async function loadObjectFiles(paths: readonly string[], provider = 'file'): Promise<ObjectSet> {
  return (await readObjectFiles(paths, provider)).set;
}

/** {@link loadObjectFiles} plus the file count, reporting its progress to `progress` while it runs. */
export async function readObjectFiles(
  paths: readonly string[],
  provider = 'file',
  progress: ProgressReporter | null = null,
): Promise<LoadedFiles> {
  const cwd = process.cwd();
  const objects: SourcedObject[] = [];
  const errors: ObjectLoadError[] = [];
  const seen = new Set<string>();
  const fail = (file: string, error: unknown): void => {
    errors.push({ origin: { provider, file: shown(cwd, file) }, message: describeIoError(error) });
  };
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    try {
      const info = await stat(absolute);
      if (info.isDirectory()) await walk(absolute, files, new Set(), fail);
      else files.push(absolute);
    } catch (error) {
      fail(absolute, error);
    }
  }
  let fileCount = 0;
  let done = 0;
  let lastReport = performance.now();
  for (const file of files) {
    if (progress !== null && performance.now() - lastReport >= progress.everyMs) {
      lastReport = performance.now();
      progress.report({ files: done, totalFiles: files.length, objects: objects.length });
    }
    done++;
    // Overlapping paths (a directory and a file inside it) must not load an object twice.
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      fail(file, error);
      continue;
    }
    fileCount++;
    const parsed = parseManifests(text, shown(cwd, file), provider);
    // Not `push(...items)`: a file holding a List of some 100k items would exceed the engine's argument limit.
    for (const object of parsed.objects) objects.push(object);
    for (const error of parsed.errors) errors.push(error);
  }
  return { set: { provider, objects, errors }, fileCount };
}

/**
 * Every directory the manifest walk visits below (and including) `root`, as the file provider must watch each one:
 * Node 20's recursive `fs.watch` on Linux follows files by inode and goes quiet once a file is replaced by a
 * rename, which is how editors and `kubectl cp`-style tools save.
 */
export async function manifestDirectories(root: string): Promise<string[]> {
  const directories: string[] = [];
  await walk(root, [], new Set(), () => {}, directories);
  return directories;
}

/**
 * Appends the manifest files below `dir`, sorted per directory, and (when `directories` is given) every directory
 * visited; `visited` (real paths) stops symlink cycles.
 */
async function walk(
  dir: string,
  out: string[],
  visited: Set<string>,
  fail: (file: string, error: unknown) => void,
  directories: string[] | null = null,
) {
  let entries: Dirent[];
  try {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    entries = await readdir(dir, { withFileTypes: true });
    directories?.push(dir);
  } catch (error) {
    fail(dir, error);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      // ConfigMap volumes expose every key as a symlink into `..data/`; follow it.
      try {
        const target = await stat(full);
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      } catch (error) {
        if (MANIFEST.test(entry.name)) fail(full, error);
        continue;
      }
    }
    if (isDirectory) await walk(full, out, visited, fail, directories);
    else if (isFile && MANIFEST.test(entry.name)) out.push(full);
  }
}

/** Relative to the working directory when under it (as an operator typed it), absolute otherwise. */
function shown(cwd: string, absolute: string): string {
  const rel = relative(cwd, absolute);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : absolute;
}

function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read: ${(error as Error).message}`;
}
