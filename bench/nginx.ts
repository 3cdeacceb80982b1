/**
 * nginx helpers shared by the nginx peer and the nginx upstream: where the binary is, its version, and the
 * temp-path directives that let a non-root nginx run from a scratch directory.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findExecutable } from './process.js';

/** stdout + stderr of a short command such as `nginx -V` (which prints on stderr). */
export function commandOutput(file: string, args: readonly string[]): string {
  const run = spawnSync(file, args, { encoding: 'utf8', timeout: 5000 });
  return `${run.stdout ?? ''}${run.stderr ?? ''}`;
}

/** The absolute path of `name`; throws when it is not installed. */
export function executable(name: string): string {
  const path = findExecutable(name);
  if (path === undefined) throw new Error(`${name} is not installed`);
  return path;
}

/** `1.22.1`, from `nginx -v`. */
export function nginxVersion(): string {
  return /nginx\/(\S+)/.exec(commandOutput(executable('nginx'), ['-v']))?.[1] ?? 'unknown';
}

/** The temp-path directives nginx was built with, pointed into `dir` so a non-root nginx can create them. */
export function nginxTempPaths(dir: string): string {
  const lines: string[] = [];
  for (const match of commandOutput(executable('nginx'), ['-V']).matchAll(/--http-([a-z-]+)-temp-path=/g)) {
    const module = (match[1] ?? '').replace('-', '_');
    lines.push(`  ${module}_temp_path ${join(dir, `${module}_temp`)};`);
  }
  return lines.join('\n');
}

const isRoot = process.getuid?.() === 0;

/**
 * A whole nginx.conf for one worker in the foreground, with its pid, log and temp files in `dir`: `http` is the
 * body of the `http` block (upstreams, servers). Keep-alive limits are raised from nginx's 1000 requests / 75 s so
 * that no client or upstream connection is recycled during a run.
 */
export function nginxConfig(dir: string, workerConnections: number, http: string): string {
  return `daemon off;
master_process on;
worker_processes 1;
${isRoot ? 'user root;' : ''}
worker_rlimit_nofile ${2 * workerConnections};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
${nginxTempPaths(dir)}
  keepalive_timeout 120s;
  keepalive_requests 1000000;
${http}}
`;
}
