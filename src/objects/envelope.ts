/**
 * The object language every provider speaks: Kubernetes-shaped objects exactly as `kubectl apply` takes them.
 * Providers only check the envelope (apiVersion, kind, metadata.name); the body is validated per kind during
 * translation so that one bad object is rejected alone, with a reason, while everything else keeps serving.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly creationTimestamp?: string | undefined;
  readonly resourceVersion?: string | undefined;
  readonly uid?: string | undefined;
  readonly generation?: number | undefined;
}

/** Where an object came from, for error messages (`file:line`) and the admin API. */
export interface ObjectOrigin {
  /** Provider name, e.g. `file`, `kubernetes`, `registry`. */
  readonly provider: string;
  readonly file?: string | undefined;
  /** 1-based line of the document start in `file`. */
  readonly line?: number | undefined;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec?: unknown;
  readonly status?: unknown;
  readonly data?: unknown;
  readonly stringData?: unknown;
  readonly type?: unknown;
  /** Legacy v1 Endpoints body. */
  readonly subsets?: unknown;
  /** discovery.k8s.io/v1 EndpointSlice body. */
  readonly endpoints?: unknown;
  readonly ports?: unknown;
  readonly addressType?: unknown;
}

export interface SourcedObject {
  readonly object: KubeObject;
  readonly origin: ObjectOrigin;
}

/** A provider's complete current view. Providers always emit whole sets, never deltas. */
export interface ObjectSet {
  readonly provider: string;
  readonly objects: readonly SourcedObject[];
  /** Problems found before translation (unparsable YAML, missing envelope fields), one per document. */
  readonly errors: readonly ObjectLoadError[];
}

export interface ObjectLoadError {
  readonly origin: ObjectOrigin;
  readonly message: string;
}

export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export const DEFAULT_NAMESPACE = 'default';

/** Kinds without a namespace; their refs carry namespace `''`. */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set(['IngressClass', 'Namespace']);

export function refOf(object: KubeObject): ObjectRef {
  const namespace = CLUSTER_SCOPED_KINDS.has(object.kind)
    ? ''
    : (object.metadata.namespace ?? DEFAULT_NAMESPACE);
  return { kind: object.kind, namespace, name: object.metadata.name };
}

export function formatRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
