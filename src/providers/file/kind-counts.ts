import type { SourcedObject } from '../../objects/envelope.js';

/** How many objects of each kind a set holds, kinds in alphabetical order (stable logs and output). */
export function countByKind(objects: readonly SourcedObject[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const { object } of objects) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const kind of [...counts.keys()].sort()) out[kind] = counts.get(kind) as number;
  return out;
}
