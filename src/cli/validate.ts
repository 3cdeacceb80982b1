import { loadStaticConfig } from '../config/static-config.js';
import { isRejected } from '../control/control-loop.js';
import { loadErrorStatus } from '../control/load-error-status.js';
import type { ObjectStatus } from '../ir/types.js';
import { loadObjectFiles } from '../providers/file/file-provider.js';
import { translate } from '../translate/translate.js';
import { translateOptionsFrom } from './translate-options.js';

/**
 * `tidegate validate <paths>`: the same load and translation `serve` runs, printed as a table of every rejected
 * object (and warnings) with file:line and reason. Returns the exit code: 1 when anything was rejected.
 */
export async function runValidate(paths: readonly string[], flags: { config?: string }): Promise<number> {
  const config = await loadStaticConfig({ configPath: flags.config, env: process.env });
  const set = await loadObjectFiles([...paths]);
  const result = translate(set.objects, translateOptionsFrom(config));
  const statuses = [...set.errors.map(loadErrorStatus), ...result.statuses];
  const rows = statuses.flatMap(findingRows);
  const rejected = statuses.filter(isRejected).length;

  if (rows.length > 0) process.stdout.write(formatTable(['RESULT', 'WHERE', 'OBJECT', 'REASON'], rows));
  const summary =
    `${set.objects.length} objects, ${result.ir.virtualHosts.length} virtual hosts, ` +
    `${result.ir.virtualHosts.reduce((n, v) => n + v.routes.length, 0)} routes, ${result.ir.backends.length} backends, ` +
    `${result.ir.certificates.length} certificates; ${rejected} rejected`;
  process.stdout.write(`${rows.length > 0 ? '\n' : ''}${summary}\n`);
  return rejected > 0 ? 1 : 0;
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
