import { loadStaticConfig } from '../config/static-config.js';
import { isRejected } from '../control/control-loop.js';
import { loadErrorStatus } from '../control/load-error-status.js';
import type { ObjectStatus } from '../ir/types.js';
import type { SourcedObject } from '../objects/envelope.js';
import { countByKind } from '../providers/file/kind-counts.js';
import { progressMessage, readObjectFiles } from '../providers/file/load-object-files.js';
import { translate } from '../translate/translate.js';
import { translateOptionsFrom } from './translate-options.js';

/** A large load reports its progress on stderr this often, so stdout stays the report. */
const PROGRESS_EVERY_MS = 1000;

/**
 * `tidegate validate <paths>`: the same load and translation `serve` runs, printed as a table of every rejected
 * object (and warnings) with file:line and reason, then a table of the objects per kind with how many of each were
 * rejected or warned about, and the time taken. Returns the exit code: 1 when anything was rejected.
 */
export async function runValidate(paths: readonly string[], flags: { config?: string }): Promise<number> {
  const config = await loadStaticConfig({ configPath: flags.config, env: process.env });
  const started = performance.now();
  const { set, fileCount } = await readObjectFiles([...paths], 'file', {
    everyMs: PROGRESS_EVERY_MS,
    report: (progress) => process.stderr.write(`${progressMessage(progress)}\n`),
  });
  const loaded = performance.now();
  const result = translate(set.objects, translateOptionsFrom(config));
  const translated = performance.now();
  const statuses = [...set.errors.map(loadErrorStatus), ...result.statuses];
  const rows = statuses.flatMap(findingRows);
  const rejected = statuses.filter(isRejected).length;

  if (rows.length > 0) process.stdout.write(formatTable(['RESULT', 'WHERE', 'OBJECT', 'REASON'], rows));
  if (rows.length > 0) process.stdout.write('\n');
  process.stdout.write(
    formatTable(['KIND', 'OBJECTS', 'REJECTED', 'WARNINGS'], kindRows(set.objects, statuses)),
  );
  const summary =
    `${set.objects.length} objects, ${result.ir.virtualHosts.length} virtual hosts, ` +
    `${result.ir.virtualHosts.reduce((n, v) => n + v.routes.length, 0)} routes, ${result.ir.backends.length} backends, ` +
    `${result.ir.certificates.length} certificates; ${rejected} rejected`;
  const ms = (from: number, to: number): string => `${Math.round(to - from)} ms`;
  process.stdout.write(
    `\n${summary}\n${fileCount} files read in ${ms(started, loaded)}, translated in ${ms(loaded, translated)}\n`,
  );
  return rejected > 0 ? 1 : 0;
}

/**
 * One row per kind: objects loaded, and of the statuses naming that kind how many were rejected or carry
 * warnings. Documents that never became objects (YAML errors, no kind) are the `Document` row.
 */
function kindRows(objects: readonly SourcedObject[], statuses: readonly ObjectStatus[]): string[][] {
  const rows = new Map<string, { objects: number; rejected: number; warnings: number }>();
  const row = (kind: string) => {
    let found = rows.get(kind);
    if (found === undefined) {
      found = { objects: 0, rejected: 0, warnings: 0 };
      rows.set(kind, found);
    }
    return found;
  };
  for (const [kind, count] of Object.entries(countByKind(objects))) row(kind).objects = count;
  for (const status of statuses) {
    if (isRejected(status)) row(status.ref.kind).rejected++;
    else if (status.warnings.length > 0) row(status.ref.kind).warnings++;
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([kind, r]) => [kind, String(r.objects), String(r.rejected), String(r.warnings)]);
}

function findingRows(status: ObjectStatus): string[][] {
  const where = status.origin?.file
    ? `${status.origin.file}${status.origin.line ? `:${status.origin.line}` : ''}`
    : '-';
  const object = `${status.ref.kind}/${status.ref.namespace ? `${status.ref.namespace}/` : ''}${status.ref.name}`;
  const rows = status.conditions
    .filter((c) => c.status === 'False')
    .map((c) => ['rejected', where, object, `${c.type}=${c.reason}: ${c.message}`]);
  for (const warning of status.warnings) rows.push(['warning', where, object, warning]);
  return rows;
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.slice(0, 1000).map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(Math.min(widths[i] ?? 0, 60))))
      .join('  ')
      .concat('\n');
  return [header, ...rows].map(line).join('');
}
