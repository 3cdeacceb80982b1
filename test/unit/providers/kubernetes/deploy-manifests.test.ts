/**
 * Validates `deploy/kubernetes/` offline. `kubectl apply --dry-run=client` still needs an API server for
 * discovery (it maps kinds to resources through `/api` and `/apis`), so this is a schema check of our own: every
 * document has a served apiVersion/kind and the required fields, workloads select their own pods and probe the
 * admin port, and the RBAC rules grant exactly what the provider, the status writer and leader election use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { staticConfigSchema } from '../../../../src/config/schema.js';
import { WATCHED_KINDS } from '../../../../src/providers/kubernetes/watched-kinds.js';

const DIR = 'deploy/kubernetes';

type Doc = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const docs: Doc[] = readdirSync(DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .flatMap((name) =>
    parseAllDocuments(readFileSync(join(DIR, name), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${name}: YAML errors`);
      return doc.toJS() as Doc;
    }),
  );

/** The apiVersion each kind is served as today (kubectl api-resources of Kubernetes 1.29+). */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Deployment: 'apps/v1',
  DaemonSet: 'apps/v1',
};
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass']);
const NAMESPACE = 'tidegate';

const byKind = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);
const one = (kind: string, name = 'tidegate'): Doc => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
};

test('every document has a served apiVersion, a DNS name and the right scope', () => {
  assert.ok(docs.length >= 11);
  for (const doc of docs) {
    const where = `${doc.kind}/${doc.metadata?.name}`;
    assert.equal(doc.apiVersion, API_VERSIONS[doc.kind], `${where}: apiVersion`);
    assert.match(doc.metadata.name, /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, `${where}: metadata.name`);
    if (CLUSTER_SCOPED.has(doc.kind))
      assert.equal(doc.metadata.namespace, undefined, `${where} is cluster-scoped`);
    else assert.equal(doc.metadata.namespace, NAMESPACE, `${where}: namespace`);
  }
  const names = docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`);
  assert.equal(new Set(names).size, names.length, 'duplicate objects');
});

test('the ClusterRole grants exactly what the provider and the status writer use', () => {
  const rules =
    (one('ClusterRole').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) ?? [];
  const granted = new Set(
    rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`))),
    ),
  );
  const needed = new Set<string>();
  for (const kind of WATCHED_KINDS) {
    const group = kind.apiVersion.includes('/') ? (kind.apiVersion.split('/')[0] as string) : '';
    for (const verb of ['get', 'list', 'watch']) needed.add(`${group}|${kind.resource}|${verb}`);
  }
  // IngressStatusWriter: PATCH …/ingresses/<name>/status.
  needed.add('networking.k8s.io|ingresses/status|patch');
  assert.deepEqual([...granted].sort(), [...needed].sort());
  for (const rule of rules)
    assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*'), 'wildcard rule');
});

test('leases are granted only in the namespace, with the verbs leader election uses', () => {
  const role = one('Role', 'tidegate-leader-election');
  assert.deepEqual(role.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ]);
  for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
    for (const binding of byKind(kind)) {
      const roleRef = binding.roleRef as { kind: string; name: string; apiGroup: string };
      assert.equal(roleRef.apiGroup, 'rbac.authorization.k8s.io');
      assert.ok(
        docs.some((d) => d.kind === roleRef.kind && d.metadata.name === roleRef.name),
        `${kind} → missing role`,
      );
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: 'tidegate', namespace: NAMESPACE },
      ]);
    }
  }
  one('ServiceAccount');
});

test('the Deployment and the DaemonSet run non-root, select their pods and probe the admin port', () => {
  for (const kind of ['Deployment', 'DaemonSet']) {
    const workload = one(kind);
    const spec = workload.spec as {
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    };
    for (const [key, value] of Object.entries(spec.selector.matchLabels))
      assert.equal(
        spec.template.metadata.labels[key],
        value,
        `${kind}: selector does not match the template`,
      );
    const pod = spec.template.spec as {
      serviceAccountName: string;
      securityContext: { runAsNonRoot: boolean };
      containers: {
        image: string;
        ports: { name: string; containerPort: number; hostPort?: number }[];
        readinessProbe: { httpGet: { path: string; port: string } };
        livenessProbe: { httpGet: { path: string; port: string } };
        securityContext: { allowPrivilegeEscalation: boolean };
      }[];
      volumes: { name: string; configMap?: { name: string } }[];
    };
    assert.equal(pod.serviceAccountName, 'tidegate');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const [container] = pod.containers;
    assert.ok(container?.image);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.equal(container.ports.find((p) => p.name === 'admin')?.containerPort, 9000);
    if (kind === 'DaemonSet') {
      assert.equal(container.ports.find((p) => p.name === 'web')?.hostPort, 80);
      assert.equal(container.ports.find((p) => p.name === 'websecure')?.hostPort, 443);
    }
    const configMap = pod.volumes.find((v) => v.configMap)?.configMap?.name;
    assert.ok(docs.some((d) => d.kind === 'ConfigMap' && d.metadata.name === configMap));
  }
  const service = one('Service').spec as {
    type: string;
    selector: Record<string, string>;
    ports: { targetPort: string }[];
  };
  assert.ok(['LoadBalancer', 'NodePort'].includes(service.type));
  assert.deepEqual(service.selector, { 'app.kubernetes.io/name': 'tidegate' });
  assert.deepEqual(service.ports.map((p) => p.targetPort).sort(), ['web', 'websecure']);
});

test('the ConfigMap holds a valid tidegate.yaml for the Kubernetes provider, and the IngressClass is ours', () => {
  const text = (one('ConfigMap').data as Record<string, string>)['tidegate.yaml'] as string;
  const parsed = staticConfigSchema.safeParse(parse(text));
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
  assert.equal(parsed.data.providers.kubernetes?.status.publishService, 'tidegate/tidegate');
  assert.equal(parsed.data.admin.address.port, 9000);
  assert.equal(
    (one('IngressClass').spec as { controller: string }).controller,
    parsed.data.ingress.controllerName,
  );
});
