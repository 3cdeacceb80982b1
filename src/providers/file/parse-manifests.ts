import { type Document, isMap, isNode, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject, ObjectLoadError, ObjectOrigin, SourcedObject } from '../../objects/envelope.js';

/** What one manifest file yields: the objects whose envelope is sound, and one error per document that is not. */
export interface ParsedManifests {
  readonly objects: SourcedObject[];
  readonly errors: ObjectLoadError[];
}

/**
 * Parses a manifest file the way `kubectl apply -f` reads it: multi-document YAML (JSON too, YAML being a JSON
 * superset), with `kind: List` (or any `*List` with `items`) expanded to its items. Only the envelope is checked
 * here (apiVersion, kind, metadata.name); bodies are validated per kind during translation so one bad object is
 * rejected alone. Empty and comment-only documents are skipped. Never throws.
 * @param file Recorded in every origin, as the caller wants it shown.
 */
export function parseManifests(text: string, file: string, provider = 'file'): ParsedManifests {
  const out: ParsedManifests = { objects: [], errors: [] };
  const lines = new LineCounter();
  const at = (line: number | undefined): ObjectOrigin => ({ provider, file, line });
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { lineCounter: lines });
  } catch (error) {
    out.errors.push({ origin: at(1), message: `YAML: ${(error as Error).message}` });
    return out;
  }
  for (const doc of documents) {
    const contents = doc.contents;
    const line = isNode(contents) && contents.range ? lines.linePos(contents.range[0]).line : undefined;
    const syntax = doc.errors[0];
    if (syntax) {
      // The parser splits documents at `---` before parsing them, so one broken document leaves the others usable.
      const errorLine = syntax.linePos?.[0].line ?? line ?? lines.linePos(doc.range[0]).line;
      out.errors.push({ origin: at(errorLine), message: `YAML syntax error: ${firstLine(syntax.message)}` });
      continue;
    }
    if (contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error) {
      // e.g. an alias bomb ("billion laughs"): yaml refuses more than 100 alias expansions by default.
      out.errors.push({ origin: at(line), message: `YAML: ${firstLine((error as Error).message)}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (isList(value)) {
      const itemsNode = isMap(contents) ? contents.get('items', true) : undefined;
      value.items.forEach((item, index) => {
        const node = isSeq(itemsNode) ? itemsNode.items[index] : undefined;
        const itemLine = isNode(node) && node.range ? lines.linePos(node.range[0]).line : line;
        addObject(item, at(itemLine), out);
      });
      continue;
    }
    addObject(value, at(line), out);
  }
  return out;
}

/** kubectl's rule: any kind ending in `List` with an `items` array is a list of objects, not an object. */
function isList(value: unknown): value is { kind: string; items: unknown[] } {
  if (!isRecord(value) || !Array.isArray(value.items)) return false;
  return typeof value.kind === 'string' && value.kind.endsWith('List');
}

function addObject(value: unknown, origin: ObjectOrigin, out: ParsedManifests): void {
  const problem = envelopeProblem(value);
  if (problem) out.errors.push({ origin, message: problem });
  else out.objects.push({ object: value as KubeObject, origin });
}

/** The first envelope field that is missing or malformed, as `field: reason`; undefined when the envelope is sound. */
function envelopeProblem(value: unknown): string | undefined {
  if (!isRecord(value))
    return `expected a Kubernetes object (a mapping with apiVersion, kind and metadata), got ${describe(value)}`;
  for (const field of ['apiVersion', 'kind'] as const) {
    if (!isNonEmptyString(value[field])) return `${field}: ${missingOrWrong(value[field])}`;
  }
  const metadata = value.metadata;
  if (!isRecord(metadata))
    return `metadata: ${metadata === undefined ? 'missing' : `expected an object, got ${describe(metadata)}`}`;
  if (!isNonEmptyString(metadata.name)) return `metadata.name: ${missingOrWrong(metadata.name)}`;
  // The namespace is part of the object's identity (refOf), so a malformed one cannot wait for translation.
  if (metadata.namespace !== undefined && !isNonEmptyString(metadata.namespace)) {
    return `metadata.namespace: ${missingOrWrong(metadata.namespace)}`;
  }
  return undefined;
}

function missingOrWrong(value: unknown): string {
  return value === undefined || value === null
    ? 'missing'
    : `expected a non-empty string, got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function firstLine(message: string): string {
  return (message.split('\n', 1)[0] ?? message).replace(/:$/, '');
}
