import { isIP } from 'node:net';
import {
  DEFAULT_CLUSTER,
  DEFAULT_GROUP,
  DEFAULT_NAMESPACE,
  GROUP_SEPARATOR,
  type Instance,
  type InstanceAddress,
  type ServiceRef,
} from '../model.js';
import { NacosError } from './nacos-error.js';

/** Nacos' accepted weight range (`Constants.MAX_WEIGHT_VALUE` / `MIN_WEIGHT_VALUE`). */
const MAX_WEIGHT = 10_000;
/** Serialized metadata beyond this is refused: it travels in every list answer and every push. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** Nacos' service name rule (`NamingUtils`/`ServiceController`): letters, digits and `-_.:` only. */
const NAME_PATTERN = /^[0-9A-Za-z_.:-]{1,255}$/;
const CLUSTER_PATTERN = /^[0-9A-Za-z-]{1,64}$/;

/**
 * Request parameters as Nacos reads them: query string and form body merged (the Node client sends everything in the
 * query string, the Java client and curl examples use forms), the first value of a name wins.
 */
export class NacosParams {
  readonly #values: URLSearchParams;
  readonly #namespaces: ReadonlySet<string>;

  constructor(values: URLSearchParams, namespaces: ReadonlySet<string>) {
    this.#values = values;
    this.#namespaces = namespaces;
  }

  optional(name: string): string | undefined {
    const value = this.#values.get(name);
    return value === null || value === '' ? undefined : value;
  }

  /** Nacos' `WebUtils.required`. */
  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new NacosError(400, `Param '${name}' is required.`);
    return value;
  }

  /** `namespaceId`, default `public`; one not configured is refused rather than created silently. */
  namespace(): string {
    const namespace = this.optional('namespaceId') ?? DEFAULT_NAMESPACE;
    if (!this.#namespaces.has(namespace)) {
      throw new NacosError(400, `namespace '${namespace}' does not exist`);
    }
    return namespace;
  }

  /**
   * The service: `serviceName` either grouped (`group@@service`, what the clients send) or plain with `groupName`
   * (default `DEFAULT_GROUP`), as Nacos' `NamingUtils.getGroupedName` combines them.
   */
  service(source: string = this.required('serviceName')): ServiceRef {
    const at = source.indexOf(GROUP_SEPARATOR);
    const group = at < 0 ? (this.optional('groupName') ?? DEFAULT_GROUP) : source.slice(0, at);
    const service = at < 0 ? source : source.slice(at + GROUP_SEPARATOR.length);
    if (!NAME_PATTERN.test(group)) throw new NacosError(400, `group name '${group}' is illegal`);
    if (!NAME_PATTERN.test(service)) {
      throw new NacosError(
        400,
        `Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'`,
      );
    }
    return { namespace: this.namespace(), group, service };
  }

  /** `ip`, `port`, `clusterName` (default `DEFAULT`). */
  address(values: { ip?: unknown; port?: unknown; cluster?: unknown } = {}): InstanceAddress {
    const ip = stringOf(values.ip) ?? this.required('ip');
    if (isIP(ip) === 0)
      throw new NacosError(400, `instance format invalid: Your IP address is spelled incorrectly`);
    const portText = stringOf(values.port) ?? this.required('port');
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new NacosError(400, `Param 'port' is illegal: "${portText}" is not a port between 1 and 65535`);
    }
    const clusterName = stringOf(values.cluster) ?? this.optional('clusterName') ?? DEFAULT_CLUSTER;
    if (!CLUSTER_PATTERN.test(clusterName)) {
      throw new NacosError(
        400,
        `cluster name '${clusterName}' is illegal, only letters, digits and '-' are allowed`,
      );
    }
    return { ip, port, clusterName };
  }

  /** A whole instance for registration or update; `defaults` supplies what the request leaves out. */
  instance(defaults?: Instance): Instance {
    const address = this.address();
    return {
      ...address,
      weight: this.weight(defaults?.weight ?? 1),
      healthy: this.boolean('healthy', defaults?.healthy ?? true),
      // Nacos reads `enable` (what the clients send) and falls back to `enabled`.
      enabled: this.boolean('enable', this.boolean('enabled', defaults?.enabled ?? true)),
      ephemeral: this.boolean('ephemeral', defaults?.ephemeral ?? true),
      metadata: this.metadata('metadata') ?? defaults?.metadata ?? {},
    };
  }

  weight(fallback: number): number {
    const text = this.optional('weight');
    if (text === undefined) return fallback;
    const weight = Number(text);
    if (!Number.isFinite(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new NacosError(
        400,
        `instance format invalid: weight "${text}" must be between 0 and ${MAX_WEIGHT}`,
      );
    }
    return weight;
  }

  /** `protectThreshold`, 0–1. */
  protectThreshold(fallback: number): number {
    const text = this.optional('protectThreshold');
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new NacosError(400, `Param 'protectThreshold' is illegal: "${text}" must be between 0 and 1`);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.optional(name);
    if (text === undefined) return fallback;
    // Java's Boolean.parseBoolean: anything but "true" (any case) is false.
    return text.toLowerCase() === 'true';
  }

  /** A positive integer parameter (paging). */
  positiveInt(name: string, fallback: number): number {
    const text = this.optional(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new NacosError(400, `Param '${name}' is illegal: "${text}" is not a positive integer`);
    }
    return value;
  }

  /**
   * Metadata as Nacos accepts it (`UtilsAndCommons.parseMetadata`): a JSON object of strings, or the legacy
   * `k1=v1,k2=v2` form; bounded in size.
   */
  metadata(name: string): Record<string, string> | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    if (Buffer.byteLength(text) > MAX_METADATA_BYTES) {
      throw new NacosError(400, `Param '${name}' is too large: more than ${MAX_METADATA_BYTES} bytes`);
    }
    return parseMetadata(text, name);
  }
}

/** Parses a metadata text (JSON object or `k=v,k=v`) into a string map; values are stringified like Jackson does. */
export function parseMetadata(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new NacosError(400, `Param '${name}' is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new NacosError(400, `Param '${name}' must be a JSON object`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      out[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return out;
  }
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new NacosError(400, `Param '${name}' is illegal: "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
