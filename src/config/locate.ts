import { type Document, isMap, isNode, isScalar, isSeq, type LineCounter } from 'yaml';

/**
 * The 1-based line of the YAML node at `path`. When the field is missing, the line where its parent starts: the
 * parent's key (`file:`) for a mapping value, the item's first line for a list item, so "missing field" errors point
 * at the object that lacks it. With `key`, the line of the last key itself, which is where an unknown field is written.
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
      const keyLine = lineAt(pair.key) ?? line;
      if (key && i === path.length - 1) return keyLine;
      node = pair.value;
      // An empty value (`tls:`) has no node of its own, and a block value starts below its key; the key's line
      // is where the reader looks for both.
      line = i === path.length - 1 ? (lineAt(node) ?? keyLine) : keyLine;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      line = lineAt(node) ?? line;
    } else {
      break;
    }
  }
  return line;
}
