import { ingressDefaultRouteName, ingressRouteName } from '../../ir/names.js';
import type { IrSource, Route, RouteAction, RoutePolicy } from '../../ir/types.js';
import { refOf, type SourcedObject } from '../../objects/envelope.js';
import { describeZodError, type IngressBackend, ingressSpecSchema } from '../../objects/schemas.js';
import { type AnnotationDefaults, parseIngressAnnotations } from '../annotations/ingress-annotations.js';
import type { ResilienceAnnotations } from '../annotations/resilience-annotations.js';
import type { CertificateCollector } from '../certificates.js';
import { metadataString } from '../metadata.js';
import type { BackendResolver } from '../services/backends.js';
import type { StatusBook } from '../status-book.js';
import { certificateHostCovers, checkHost, ruleHost } from './hosts.js';
import { type IngressClassSelector, LEGACY_CLASS_ANNOTATION } from './ingress-class.js';
import { checkPath } from './paths.js';
import { routePolicy } from './route-policy.js';

/** One route an Ingress path asks for, before conflicts between Ingresses are settled. */
export interface IngressRoute {
  /** The virtual host (lower-case hostname, `*.suffix` or `*`). */
  readonly hostname: string;
  readonly route: Route;
  /** `spec.rules[i].http.paths[j]`, for messages. */
  readonly field: string;
}

/** What one served Ingress contributes to the IR. */
export interface IngressContribution {
  readonly ingress: SourcedObject;
  /** `<namespace>/<name>`, for messages. */
  readonly label: string;
  /** Routes in spec order. */
  readonly routes: readonly IngressRoute[];
  /** Hostnames of the valid rules, with or without `http` (those the defaultBackend also serves), deduped. */
  readonly hosts: readonly string[];
  /** The defaultBackend route as served on `hostname`; null when the Ingress has no defaultBackend. */
  readonly defaultRoute: ((hostname: string) => Route) | null;
  /** Retry, circuit-breaker and canary annotations (a canary Ingress is merged into its main one). */
  readonly resilience: ResilienceAnnotations;
}

export interface IngressContext {
  readonly classes: IngressClassSelector;
  readonly backends: BackendResolver;
  readonly certificates: CertificateCollector;
  readonly defaults: AnnotationDefaults;
  readonly statuses: StatusBook;
}

interface RefProblem {
  readonly reason: string;
  readonly message: string;
}

/**
 * Translates one Ingress: decides whether it is ours, validates it and turns its rules into routes. Returns null
 * when the Ingress is not served (another controller's: a warning; invalid as a whole: Accepted False). An
 * invalid host or path drops only that rule or path (Accepted False, PartiallyInvalid, the rest is served);
 * broken references become invalid routes and ResolvedRefs False.
 */
export function translateIngress(
  ingress: SourcedObject,
  context: IngressContext,
): IngressContribution | null {
  const { statuses } = context;
  const ref = refOf(ingress.object);
  const label = `${ref.namespace}/${ref.name}`;
  const decision = context.classes.decide(className(ingress, statuses));
  if (!decision.ours) {
    statuses.warn(ingress, `not served by this controller: ${decision.why}`);
    return null;
  }
  const parsed = ingressSpecSchema.safeParse(ingress.object.spec ?? {});
  if (!parsed.success) {
    statuses.reject(ingress, 'Invalid', describeZodError(parsed.error, 'spec'));
    return null;
  }
  const spec = parsed.data;
  if (spec.rules.length === 0 && spec.defaultBackend === undefined) {
    // The API server's rule: "either `defaultBackend` or `rules` must be specified".
    statuses.reject(ingress, 'Invalid', 'spec: either defaultBackend or rules must be specified');
    return null;
  }

  const { annotations, warnings } = parseIngressAnnotations(
    ingress.object.metadata.annotations,
    context.defaults,
  );
  for (const warning of warnings) statuses.warn(ingress, warning);
  const source: IrSource = { kind: 'Ingress', namespace: ref.namespace, name: ref.name };
  const invalidParts: string[] = [];
  const refProblems: RefProblem[] = [];

  const tlsHosts: string[] = [];
  const secrets: {
    readonly field: string;
    readonly secretName: string;
    readonly hosts: readonly string[];
  }[] = [];
  for (const [i, tls] of spec.tls.entries()) {
    const hosts: string[] = [];
    for (const [k, host] of tls.hosts.entries()) {
      const check = checkHost(host);
      if (check.ok) hosts.push(check.hostname);
      else invalidParts.push(`spec.tls[${i}].hosts[${k}]: ${check.reason}`);
    }
    tlsHosts.push(...hosts);
    if (tls.hosts.length === 0) {
      statuses.warn(ingress, `spec.tls[${i}]: no hosts, so no server name selects this certificate`);
    }
    // Without a secretName ingress-nginx serves the hosts with its default certificate (and still redirects).
    if (tls.secretName !== undefined)
      secrets.push({ field: `spec.tls[${i}].secretName`, secretName: tls.secretName, hosts });
  }

  const policy = (hostname: string, rewritePattern: string | null): RoutePolicy => {
    const tls = tlsHosts.some((host) => certificateHostCovers(host, hostname));
    return routePolicy(
      annotations,
      annotations.rewriteTarget === null || rewritePattern === null
        ? null
        : // ingress-nginx writes `rewrite "(?i)<path>" <target> break;`: always case-insensitive.
          {
            type: 'regex',
            pattern: rewritePattern,
            caseInsensitive: true,
            replacement: annotations.rewriteTarget,
          },
      annotations.forceSslRedirect || (tls && annotations.sslRedirect),
    );
  };
  const action = (backend: IngressBackend, field: string): RouteAction => {
    const resolved = context.backends.resolve(ref.namespace, backend);
    if (resolved.ok) return { type: 'forward', backend: resolved.backend.name, canary: null };
    refProblems.push({ reason: resolved.reason, message: `${field}: ${resolved.message}` });
    return { type: 'invalid', reason: resolved.reason, message: resolved.message, status: 500 };
  };

  const routes: IngressRoute[] = [];
  const hosts = new Set<string>();
  for (const [i, rule] of spec.rules.entries()) {
    const host = ruleHost(rule.host);
    if (!host.ok) {
      invalidParts.push(`spec.rules[${i}].host: ${host.reason}`);
      continue;
    }
    hosts.add(host.hostname);
    for (const [j, path] of (rule.http?.paths ?? []).entries()) {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      const check = checkPath(path.pathType, path.path, annotations.useRegex);
      if (!check.ok) {
        invalidParts.push(`${field}.path: ${check.reason}`);
        continue;
      }
      routes.push({
        hostname: host.hostname,
        field,
        route: {
          name: ingressRouteName(ref.namespace, ref.name, i, j),
          source,
          match: check.match,
          action: action(path.backend, `${field}.backend`),
          policy: policy(host.hostname, check.rewritePattern),
        },
      });
    }
  }

  let defaultRoute: IngressContribution['defaultRoute'] = null;
  if (spec.defaultBackend !== undefined) {
    const defaultAction = action(spec.defaultBackend, 'spec.defaultBackend');
    const name = ingressDefaultRouteName(ref.namespace, ref.name);
    // No rewrite: rewrite-target is written against the rule paths, which the default route does not have.
    defaultRoute = (hostname) => ({
      name,
      source,
      match: { type: 'Prefix', path: '/' },
      action: defaultAction,
      policy: policy(hostname, null),
    });
  }

  if (routes.length === 0 && defaultRoute === null && invalidParts.length > 0) {
    statuses.reject(ingress, 'Invalid', `${invalidParts.join('; ')}; nothing left to serve`);
    return null;
  }
  for (const { field, secretName, hosts: sni } of secrets) {
    const problem = context.certificates.add(ref.namespace, secretName, sni);
    if (problem !== null)
      refProblems.push({ reason: problem.reason, message: `${field}: ${problem.message}` });
  }
  if (invalidParts.length > 0) {
    statuses.set(
      ingress,
      'Accepted',
      false,
      'PartiallyInvalid',
      `${invalidParts.join('; ')}; the rest is served`,
    );
  } else {
    statuses.accept(ingress);
  }
  const [first] = refProblems;
  if (first === undefined)
    statuses.set(ingress, 'ResolvedRefs', true, 'ResolvedRefs', 'all references resolved');
  else
    statuses.set(ingress, 'ResolvedRefs', false, first.reason, refProblems.map((p) => p.message).join('; '));
  return { ingress, label, routes, hosts: [...hosts], defaultRoute, resilience: annotations.resilience };
}

/**
 * The Ingress' class: `spec.ingressClassName`, else the deprecated annotation. The API server refuses both at
 * once on create; when they still differ (older objects) the field wins, as the Ingress docs say it supersedes.
 */
function className(ingress: SourcedObject, statuses: StatusBook): string | undefined {
  const spec: unknown = ingress.object.spec;
  const field =
    spec !== null && typeof spec === 'object'
      ? (spec as { ingressClassName?: unknown }).ingressClassName
      : undefined;
  const legacy = metadataString(ingress, 'annotations', LEGACY_CLASS_ANNOTATION);
  if (typeof field === 'string' && field !== '') {
    if (legacy !== undefined && legacy !== field) {
      statuses.warn(
        ingress,
        `annotation ${LEGACY_CLASS_ANNOTATION} ${JSON.stringify(legacy)} is ignored: spec.ingressClassName ${JSON.stringify(field)} takes precedence`,
      );
    }
    return field;
  }
  return legacy === undefined || legacy === '' ? undefined : legacy;
}
