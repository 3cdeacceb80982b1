import { registryRouteName } from '../../ir/names.js';
import type { IrSource, RouteAction } from '../../ir/types.js';
import { refOf, type SourcedObject } from '../../objects/envelope.js';
import { registryNamespaceFor } from '../../objects/registry-names.js';
import { registryRouteSpecSchema } from '../../objects/registry-route.js';
import { describeZodError } from '../../objects/schemas.js';
import { type AnnotationDefaults, parseIngressAnnotations } from '../annotations/ingress-annotations.js';
import { ruleHost } from '../ingress/hosts.js';
import { checkPath } from '../ingress/paths.js';
import { routePolicy } from '../ingress/route-policy.js';
import type { IngressContribution, IngressRoute } from '../ingress/translate-ingress.js';
import type { BackendResolver } from '../services/backends.js';
import type { StatusBook } from '../status-book.js';

export interface RegistryRouteContext {
  readonly backends: BackendResolver;
  readonly defaults: AnnotationDefaults;
  readonly statuses: StatusBook;
}

/**
 * Translates one `tidegate.io/v1alpha1 RegistryRoute` (see `objects/registry-route.ts`) into the same contribution
 * an Ingress makes, so that virtual-host merging, precedence and conflicts are shared: each route is an
 * element-wise `Prefix` match on the host forwarding to the registry service's Backend, with `stripPrefix` as an
 * nginx-style rewrite (`^<prefix>/?(.*)` → `/$1`). The Ingress annotations for timeouts, body size, backend
 * protocol, `force-ssl-redirect` and resilience apply to its routes as well. An invalid route is dropped alone
 * (Accepted False, PartiallyInvalid); an unknown registry service is a broken reference (500, ResolvedRefs False).
 */
export function translateRegistryRoute(
  object: SourcedObject,
  context: RegistryRouteContext,
): IngressContribution | null {
  const { statuses } = context;
  const ref = refOf(object.object);
  const parsed = registryRouteSpecSchema.safeParse(object.object.spec ?? {});
  if (!parsed.success) {
    statuses.reject(object, 'Invalid', describeZodError(parsed.error, 'spec'));
    return null;
  }
  const spec = parsed.data;
  const host = ruleHost(spec.host);
  if (!host.ok) {
    statuses.reject(object, 'Invalid', `spec.host: ${host.reason}`);
    return null;
  }
  const { annotations, warnings } = parseIngressAnnotations(
    object.object.metadata.annotations,
    context.defaults,
  );
  for (const warning of warnings) statuses.warn(object, warning);
  const registryNamespace = spec.registryNamespace ?? registryNamespaceFor(ref.namespace);
  const source: IrSource = { kind: ref.kind, namespace: ref.namespace, name: ref.name };
  const invalid: string[] = [];
  const broken: { reason: string; message: string }[] = [];
  const routes: IngressRoute[] = [];

  for (const [i, entry] of spec.routes.entries()) {
    const field = `spec.routes[${i}]`;
    const check = checkPath('Prefix', entry.pathPrefix, false);
    if (!check.ok) {
      invalid.push(`${field}.pathPrefix: ${check.reason}`);
      continue;
    }
    const resolved = context.backends.resolveRegistry(registryNamespace, entry.service);
    let action: RouteAction;
    if (resolved.ok) {
      action = { type: 'forward', backend: resolved.backend.name, canary: null };
    } else {
      broken.push({ reason: resolved.reason, message: `${field}.service: ${resolved.message}` });
      action = { type: 'invalid', reason: resolved.reason, message: resolved.message, status: 500 };
    }
    const policy = routePolicy(
      annotations,
      entry.stripPrefix
        ? {
            type: 'regex',
            pattern: `${check.rewritePattern}/?(.*)`,
            caseInsensitive: false,
            replacement: '/$1',
          }
        : null,
      annotations.forceSslRedirect,
    );
    routes.push({
      hostname: host.hostname,
      field,
      route: {
        name: registryRouteName(ref.namespace, ref.name, i),
        source,
        match: check.match,
        action,
        policy,
      },
    });
  }

  if (routes.length === 0) {
    statuses.reject(object, 'Invalid', `${invalid.join('; ')}; nothing left to serve`);
    return null;
  }
  if (invalid.length > 0)
    statuses.set(object, 'Accepted', false, 'PartiallyInvalid', `${invalid.join('; ')}; the rest is served`);
  else statuses.accept(object);
  const [first] = broken;
  if (first === undefined)
    statuses.set(object, 'ResolvedRefs', true, 'ResolvedRefs', 'all references resolved');
  else statuses.set(object, 'ResolvedRefs', false, first.reason, broken.map((b) => b.message).join('; '));
  return {
    ingress: object,
    label: `${ref.namespace}/${ref.name}`,
    routes,
    hosts: [host.hostname],
    defaultRoute: null,
    resilience: annotations.resilience,
  };
}
