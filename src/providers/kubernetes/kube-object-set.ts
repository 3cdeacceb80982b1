import {
  DEFAULT_NAMESPACE,
  type KubeObject,
  type ObjectSet,
  type SourcedObject,
} from '../../objects/envelope.js';
import type { WatchedKind } from './watched-kinds.js';

/** An object as the API server sends it (list items lack `apiVersion`/`kind`; the watched kind supplies them). */
export interface RawKubeObject {
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly [field: string]: unknown;
}

/** The cache of one watched kind: every object the informers of that kind hold. */
export interface KindContents {
  readonly kind: WatchedKind;
  readonly objects: readonly RawKubeObject[];
}

const PROVIDER = 'kubernetes';
/** Body fields translation reads; everything else (status, managedFields, …) is left out of the set. */
const BODY_FIELDS = ['spec', 'data', 'type', 'subsets', 'endpoints', 'ports', 'addressType'] as const;

/**
 * The provider's complete current set from its informer caches, in the shape the file provider emits. Secrets are
 * kept only when a watched Ingress names them in `spec.tls[].secretName` (same namespace), so key material of
 * unrelated Secrets never enters translation, the admin API or a log line. `metadata.resourceVersion` is left
 * out on purpose: a status write bumps it, and a set that differs only there must not rebuild the table.
 */
export function kubeObjectSet(contents: readonly KindContents[]): ObjectSet {
  const referenced = referencedSecrets(contents);
  const objects: SourcedObject[] = [];
  for (const { kind, objects: raw } of contents) {
    for (const item of raw) {
      const object = toKubeObject(item, kind);
      if (!object) continue;
      if (kind.kind === 'Secret' && !referenced.has(`${object.metadata.namespace}/${object.metadata.name}`))
        continue;
      objects.push({ object, origin: { provider: PROVIDER } });
    }
  }
  return { provider: PROVIDER, objects, errors: [] };
}

/** `namespace/name` of every Secret an Ingress references for TLS. */
function referencedSecrets(contents: readonly KindContents[]): Set<string> {
  const out = new Set<string>();
  for (const { kind, objects } of contents) {
    if (kind.kind !== 'Ingress') continue;
    for (const ingress of objects) {
      const namespace = stringField(ingress.metadata, 'namespace') ?? DEFAULT_NAMESPACE;
      const spec = ingress.spec as { tls?: unknown } | undefined;
      if (!Array.isArray(spec?.tls)) continue;
      for (const tls of spec.tls as unknown[]) {
        const secretName = stringField(tls as Record<string, unknown> | undefined, 'secretName');
        if (secretName) out.add(`${namespace}/${secretName}`);
      }
    }
  }
  return out;
}

function toKubeObject(raw: RawKubeObject, kind: WatchedKind): KubeObject | null {
  const name = stringField(raw.metadata, 'name');
  if (!name) return null;
  const meta = raw.metadata as Record<string, unknown>;
  const metadata: Record<string, unknown> = { name };
  if (kind.namespaced) metadata.namespace = stringField(meta, 'namespace') ?? DEFAULT_NAMESPACE;
  for (const key of ['labels', 'annotations', 'creationTimestamp', 'uid', 'generation'] as const) {
    if (meta[key] !== undefined && meta[key] !== null) metadata[key] = meta[key];
  }
  const object: Record<string, unknown> = { apiVersion: kind.apiVersion, kind: kind.kind, metadata };
  for (const field of BODY_FIELDS) if (raw[field] !== undefined) object[field] = raw[field];
  return object as unknown as KubeObject;
}

function stringField(record: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
