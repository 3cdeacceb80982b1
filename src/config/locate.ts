import { type Document, isMap, isNode, isScalar, isSeq, type LineCounter } from 'yaml';

/**
 * The 1-based line of the YAML node at `path`, or of its nearest existing ancestor when the field is missing
 * (so "missing field" errors point at the object that lacks it). With `key`, the line of the last key itself,
 * which is where an unknown field is written.
 */
export function lineOf(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  key = false,
): number | undefined {
  const lineAt = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === segment);
      if (!pair) break;
      // An empty value (`tls:`) has no node of its own; the key's line is the next best.
      line = lineAt(pair.key) ?? line;
      if (key && i === path.length - 1) return line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    line = lineAt(node) ?? line;
  }
  return line;
}
