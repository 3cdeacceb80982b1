import { hostname } from 'node:os';
import type { KubernetesProviderConfig } from '../config/static-config.js';
import type { Runner } from '../core/lifecycle.js';
import type { ObjectRef } from '../objects/envelope.js';
import type { Logger } from '../observability/logger.js';
import { IngressStatusWriter } from '../providers/kubernetes/ingress-status-writer.js';
import { KubeApi } from '../providers/kubernetes/kube-api.js';
import { KubernetesProvider } from '../providers/kubernetes/kubernetes-provider.js';
import { LeaderElector } from '../providers/kubernetes/leader-election.js';
import type { SnapshotHolder } from '../runtime/holder.js';
import type { RuntimeTable } from '../runtime/table.js';

/**
 * Ingress-controller mode, composed: the Kubernetes provider (routing on every replica), the Lease elector and
 * the Ingress status writer (writes only on the leader). The writer learns which Ingresses are served from the
 * live table after every swap, so status follows exactly what routes.
 */
export class KubernetesController {
  readonly provider: KubernetesProvider;
  readonly #elector: LeaderElector;
  readonly #writer: IngressStatusWriter;

  constructor(config: KubernetesProviderConfig, logger: Logger) {
    const api = KubeApi.connect({ kubeconfig: config.kubeconfig });
    const log = logger.child({ provider: 'kubernetes' });
    this.provider = new KubernetesProvider({
      api,
      namespaces: config.namespaces,
      labelSelector: config.labelSelector,
      debounceMs: config.debounce,
      pageSize: config.pageSize,
      logger: log,
    });
    const election = config.leaderElection;
    this.#elector = new LeaderElector({
      api,
      // The downward API's metadata.namespace / metadata.name, as deploy/deployment.yaml sets them.
      namespace: election.namespace ?? process.env.POD_NAMESPACE ?? 'default',
      name: election.leaseName,
      // client-go's examples use the host name plus a UUID: unique even for two processes on one host.
      identity:
        election.identity ?? `${process.env.POD_NAME ?? hostname()}_${crypto.randomUUID().slice(0, 8)}`,
      leaseDurationMs: election.leaseDuration,
      renewDeadlineMs: election.renewDeadline,
      retryPeriodMs: election.retryPeriod,
      logger: log,
    });
    this.#writer = new IngressStatusWriter({
      api,
      lookup: (kind, namespace, name) => this.provider.cached(kind, namespace, name),
      isLeader: () => this.#elector.isLeader,
      addresses: config.status.addresses,
      publishService: config.status.publishService,
      resyncMs: config.status.resync,
      logger: log,
    });
    this.#elector.onChange((leader) => {
      if (leader) this.#writer.sync();
    });
  }

  /** The runners to start after the control loop: the writer follows `holder`'s swaps. */
  runners(holder: SnapshotHolder): Runner[] {
    holder.onSwap((table) => this.#writer.update(servedIngresses(table)));
    return [this.#writer, this.#elector];
  }
}

/** Ingresses with at least one route in the live table: what this controller serves. */
function servedIngresses(table: RuntimeTable): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const vhost of table.ir.virtualHosts) {
    for (const route of vhost.routes) {
      const { kind, namespace, name } = route.source;
      if (kind === 'Ingress') seen.set(`${namespace}/${name}`, { kind, namespace, name });
    }
  }
  return [...seen.values()];
}
