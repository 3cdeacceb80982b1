/**
 * Installs the native peers and wrk from the Debian archive when they are missing and we run as root, so a fresh
 * machine benchmarks every peer. Anything that still cannot be installed is reported, and its peer skipped.
 */
import { findExecutable, runToEnd } from './process.js';

/** Executable → Debian package that provides it. */
const PACKAGES: ReadonlyArray<readonly [executable: string, pkg: string]> = [
  ['wrk', 'wrk'],
  ['nginx', 'nginx'],
  ['haproxy', 'haproxy'],
];

const APT_TIMEOUT_MS = 300_000;
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Whether `apt-cache policy` knows an installable version of `pkg` (`Candidate: (none)` or nothing = no). */
async function hasCandidate(pkg: string): Promise<boolean> {
  const run = await runToEnd('apt-cache', ['policy', pkg], { timeoutMs: 30_000, env: APT_ENV });
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(run.stdout)?.[1];
  return candidate !== undefined && candidate !== '(none)';
}

/**
 * Installs the missing tools with `apt-get install -y` when running as root with apt available; returns one
 * human-readable line per action or reason a tool stays missing. Never throws: a failed install only skips peers.
 */
export async function ensureTools(): Promise<string[]> {
  const missing = PACKAGES.filter(([executable]) => findExecutable(executable) === undefined);
  if (missing.length === 0) return [];
  const names = missing.map(([, pkg]) => pkg).join(', ');
  if (process.getuid?.() !== 0) return [`not root: not installing ${names}`];
  if (findExecutable('apt-get') === undefined) return [`no apt-get: not installing ${names}`];
  const notes: string[] = [];
  try {
    let installable: string[] = [];
    for (const [, pkg] of missing) if (await hasCandidate(pkg)) installable.push(pkg);
    if (installable.length < missing.length) {
      // Package lists may be absent or stale on a fresh machine: refresh once, then ask again.
      await runToEnd('apt-get', ['update', '-qq'], { timeoutMs: APT_TIMEOUT_MS, env: APT_ENV });
      installable = [];
      for (const [, pkg] of missing) if (await hasCandidate(pkg)) installable.push(pkg);
    }
    for (const [, pkg] of missing) {
      if (!installable.includes(pkg)) notes.push(`${pkg}: no Debian package available`);
    }
    if (installable.length > 0) {
      const run = await runToEnd('apt-get', ['install', '-y', '-qq', ...installable], {
        timeoutMs: APT_TIMEOUT_MS,
        env: APT_ENV,
      });
      notes.push(
        run.code === 0
          ? `installed ${installable.join(', ')} with apt-get`
          : `apt-get install ${installable.join(' ')} exited ${run.code}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`,
      );
    }
  } catch (error) {
    notes.push(`installing ${names} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return notes;
}
