/**
 * The registry's data model, as Nacos 1.x has it: namespace (default `public`) → group (default `DEFAULT_GROUP`) →
 * service → cluster (default `DEFAULT`) → instances. Plain immutable records shared by both stores, the Nacos API and
 * the `registry` provider.
 */

/** Nacos' default namespace id (`Constants.DEFAULT_NAMESPACE_ID`). */
export const DEFAULT_NAMESPACE = 'public';
/** Nacos' default group (`Constants.DEFAULT_GROUP`). */
export const DEFAULT_GROUP = 'DEFAULT_GROUP';
/** Nacos' default cluster (`UtilsAndCommons.DEFAULT_CLUSTER_NAME`). */
export const DEFAULT_CLUSTER = 'DEFAULT';
/** Separator of grouped service names (`group@@service`), Nacos' `Constants.SERVICE_INFO_SPLITER`. */
export const GROUP_SEPARATOR = '@@';

/**
 * Per-instance metadata keys that override the liveness timeouts (milliseconds), as Nacos'
 * `PreservedMetadataKeys.HEART_BEAT_TIMEOUT` / `IP_DELETE_TIMEOUT`.
 */
export const HEART_BEAT_TIMEOUT_KEY = 'preserved.heart.beat.timeout';
export const IP_DELETE_TIMEOUT_KEY = 'preserved.ip.delete.timeout';
/** The beat interval (ms) the server tells the instance's client to use, Nacos' `HEART_BEAT_INTERVAL`. */
export const HEART_BEAT_INTERVAL_KEY = 'preserved.heart.beat.interval';

/** Identifies one service. */
export interface ServiceRef {
  readonly namespace: string;
  readonly group: string;
  readonly service: string;
}

/** Identifies one instance inside a service (Nacos' `ip#port#cluster` key). */
export interface InstanceAddress {
  readonly ip: string;
  readonly port: number;
  readonly clusterName: string;
}

/** One registered instance. */
export interface Instance extends InstanceAddress {
  /** 0–10000, Nacos' accepted range; 0 means no traffic. */
  readonly weight: number;
  readonly healthy: boolean;
  readonly enabled: boolean;
  /** Ephemeral instances live by heartbeat; persistent ones until deregistered (and are health-checked actively). */
  readonly ephemeral: boolean;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Nacos 1.x service selector; only `none` (no label selector) is supported. */
export interface ServiceSelector {
  readonly type: 'none';
}

/** A service's own attributes. */
export interface Service extends ServiceRef {
  /** 0–1: when the healthy share of instances falls below it, queries return every instance (Nacos semantics). */
  readonly protectThreshold: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly selector: ServiceSelector;
}

/** A service with its instances (all clusters), as in a snapshot. */
export interface ServiceEntry {
  readonly service: Service;
  readonly instances: readonly Instance[];
}

/** The whole registry content at one moment. */
export interface RegistrySnapshot {
  /** Increases on every change visible in the snapshot. */
  readonly revision: number;
  /** Sorted by namespace, group, service; instances by `ip#port#cluster`. */
  readonly services: readonly ServiceEntry[];
}

/** The stable instance key `ip#port#cluster`, Nacos' `Instance.toInetAddr() + '#' + clusterName` form. */
export function instanceKey(address: InstanceAddress): string {
  return `${address.ip}#${address.port}#${address.clusterName}`;
}

/** The stable service key `namespace/group@@service`. */
export function serviceKey(ref: ServiceRef): string {
  return `${ref.namespace}/${ref.group}${GROUP_SEPARATOR}${ref.service}`;
}

/** `group@@service`, the name Nacos returns in `name` fields. */
export function groupedName(ref: Pick<ServiceRef, 'group' | 'service'>): string {
  return `${ref.group}${GROUP_SEPARATOR}${ref.service}`;
}

/** Compares services by namespace, group and name (snapshot order). */
export function compareServiceRefs(a: ServiceRef, b: ServiceRef): number {
  return (
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.group, b.group) ||
    compareStrings(a.service, b.service)
  );
}

/** Compares instances by their `ip#port#cluster` key (snapshot order). */
export function compareInstances(a: InstanceAddress, b: InstanceAddress): number {
  return compareStrings(instanceKey(a), instanceKey(b));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nacos paging: `pageNo` from 1. */
export interface PageRequest {
  readonly pageNo: number;
  readonly pageSize: number;
}

/** One page of services and the total count before paging (Nacos' `count`). */
export interface ServicePage {
  readonly count: number;
  readonly services: readonly Service[];
}

/** The service Nacos creates implicitly when an instance registers for an unknown one. */
export function defaultService(ref: ServiceRef): Service {
  return {
    namespace: ref.namespace,
    group: ref.group,
    service: ref.service,
    protectThreshold: 0,
    metadata: {},
    selector: { type: 'none' },
  };
}

/**
 * Nacos' service listing over sorted services: optional group filter, then the 1-based page (`pageNo`,
 * `pageSize`); `count` is the total before paging, as `/nacos/v1/ns/service/list` reports it.
 */
export function pageServices(
  sorted: readonly Service[],
  group: string | undefined,
  page: PageRequest | undefined,
): ServicePage {
  const matching = group === undefined ? sorted : sorted.filter((s) => s.group === group);
  if (page === undefined) return { count: matching.length, services: matching };
  const from = (page.pageNo - 1) * page.pageSize;
  return { count: matching.length, services: matching.slice(from, from + page.pageSize) };
}
