/**
 * zod schema of `tidegate.yaml` as written. Objects are strict so that a misspelt key is an error rather than a
 * silently ignored setting. Units, addresses and CIDRs are parsed here so every problem carries its field path.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseHostPort } from './host-port.js';
import { parseDuration, parseSize } from './units.js';

function parsed<T>(parse: (input: string | number) => T, expected: string, numbers = true) {
  return z.unknown().transform((input, ctx): T => {
    if (typeof input !== 'string' && (!numbers || typeof input !== 'number')) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}`, input });
      return z.NEVER;
    }
    try {
      return parse(input);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input });
      return z.NEVER;
    }
  });
}

export const durationSchema = parsed(parseDuration, 'a duration such as "5s" or a number of milliseconds');
export const sizeSchema = parsed(parseSize, 'a size such as "16k" or a number of bytes');
export const listenAddressSchema = parsed(
  (address) => ({ address: String(address), ...parseHostPort(String(address)) }),
  'an address such as "0.0.0.0:8080"',
  false,
);

/** A CIDR or a single address (taken as /32 or /128), normalised to `addr/prefix`. */
const cidrSchema = parsed((text) => normaliseCidr(String(text)), 'a CIDR such as "10.0.0.0/8"', false);

function normaliseCidr(text: string): string {
  // ipaddr.js also accepts shorthand IPv4 forms ("10/8", "10.1"); only dotted quads are unambiguous.
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text) || ipaddr.IPv6.isValidCIDR(text)) {
    const [addr, prefix] = ipaddr.parseCIDR(text);
    return `${addr.toString()}/${prefix}`;
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return `${ipaddr.IPv4.parse(text).toString()}/32`;
  if (ipaddr.IPv6.isValid(text)) return `${ipaddr.IPv6.parse(text).toString()}/128`;
  throw new RangeError(`invalid CIDR "${text}", e.g. "10.0.0.0/8" or "fd00::/8"`);
}

const NAME = /^[a-z0-9-]+$/;
const name = z.string().regex(NAME, 'expected lowercase letters, digits and "-" only');
// RFC 1123 subdomain, the rule Kubernetes applies to object names and namespaces.
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const dnsSubdomain = z.string().max(253).regex(DNS_SUBDOMAIN, 'expected a DNS subdomain (RFC 1123)');
// IngressClass spec.controller: "a domain-prefixed path", e.g. example.com/ingress-controller.
const controllerName = z
  .string()
  .max(250)
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[A-Za-z0-9/._-]+$/,
    'expected a domain-prefixed path, e.g. "tidegate.io/ingress-controller"',
  );
const hostName = z
  .string()
  .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'expected a DNS name');

const tlsSchema = z.strictObject({
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

/** `"404"`, `"4xx"` or `"500-599"`: an inclusive range of HTTP statuses. */
const statusRangeSchema = parsed(
  (input) => parseStatusRange(String(input)),
  'a status such as 404, "5xx" or "500-599"',
);

function parseStatusRange(text: string): { readonly min: number; readonly max: number } {
  const family = /^([1-5])xx$/i.exec(text);
  if (family) return { min: Number(family[1]) * 100, max: Number(family[1]) * 100 + 99 };
  const range = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
  const min = Number(range?.[1]);
  const max = range?.[2] === undefined ? min : Number(range[2]);
  if (!range || min < 100 || max > 599 || min > max)
    throw new RangeError(`invalid status filter "${text}", e.g. 404, "5xx" or "500-599"`);
  return { min, max };
}

const accessLogSchema = z.strictObject({
  format: z.enum(['json', 'combined']).default('json'),
  path: z.string().min(1).default('stdout'),
  sample: z.number().min(0).max(1).default(1),
  statuses: z.array(statusRangeSchema).default([]),
});

const entryPointSchema = z.strictObject({
  name,
  address: listenAddressSchema,
  protocol: z.enum(['http', 'https']).default('http'),
  tls: tlsSchema.optional(),
  forwardedHeaders: z.strictObject({ trustedProxies: z.array(cidrSchema).default([]) }).prefault({}),
  maxHeaderSize: sizeSchema.prefault('16k'),
  requestTimeout: durationSchema.prefault(0),
  keepAliveTimeout: durationSchema.prefault('75s'),
  accessLog: accessLogSchema.optional(),
});

// The Kubernetes provider. Leader election defaults are client-go's (leaderelection.LeaderElectionConfig).
const kubernetesProviderSchema = z.strictObject({
  kubeconfig: z.string().min(1).optional(),
  namespaces: z.array(dnsSubdomain).default([]),
  labelSelector: z.string().min(1).optional(),
  debounce: durationSchema.prefault('100ms'),
  // client-go's reflector lists in pages of 500.
  pageSize: z.number().int().min(1).max(10_000).default(500),
  status: z
    .strictObject({
      addresses: z.array(z.string().min(1)).default([]),
      publishService: z
        .string()
        .regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, 'expected "namespace/name" of a Service')
        .optional(),
      resync: durationSchema.prefault('60s'),
    })
    .prefault({}),
  leaderElection: z
    .strictObject({
      namespace: dnsSubdomain.optional(),
      leaseName: dnsSubdomain.default('tidegate-leader'),
      identity: z.string().min(1).optional(),
      leaseDuration: durationSchema.prefault('15s'),
      renewDeadline: durationSchema.prefault('10s'),
      retryPeriod: durationSchema.prefault('2s'),
    })
    .refine((v) => v.leaseDuration > v.renewDeadline && v.renewDeadline > 1.2 * v.retryPeriod, {
      message:
        'expected leaseDuration > renewDeadline > 1.2 × retryPeriod (client-go defaults: 15s, 10s, 2s)',
    })
    .prefault({}),
});

export const DEFAULT_ENTRY_POINTS = [{ name: 'web', address: '0.0.0.0:8080', protocol: 'http' }] as const;

export const staticConfigSchema = z.strictObject({
  entryPoints: z.array(entryPointSchema).prefault([...DEFAULT_ENTRY_POINTS]),
  admin: z
    .strictObject({
      address: listenAddressSchema.prefault('127.0.0.1:9000'),
      token: z.string().min(16, 'expected at least 16 characters').optional(),
    })
    .prefault({}),
  tracing: z
    .strictObject({
      serviceName: z.string().min(1).default('tidegate'),
      sampleRate: z.number().min(0).max(1).default(1),
      otlp: z
        .strictObject({
          endpoint: z.url({ protocol: /^https?$/ }),
          headers: z.record(z.string(), z.string()).default({}),
          timeout: durationSchema.prefault('10s'),
        })
        .optional(),
    })
    .optional(),
  providers: z
    .strictObject({
      file: z
        .strictObject({
          paths: z.array(z.string().min(1)).min(1, 'expected at least one file or directory'),
          watch: z.boolean().default(true),
          debounce: durationSchema.prefault('100ms'),
        })
        .optional(),
      kubernetes: kubernetesProviderSchema.optional(),
    })
    .prefault({}),
  ingress: z
    .strictObject({
      className: dnsSubdomain.default('tidegate'),
      controllerName: controllerName.default('tidegate.io/ingress-controller'),
      watchWithoutClass: z.boolean().default(true),
    })
    .prefault({}),
  defaults: z
    .strictObject({
      connectTimeout: durationSchema.prefault('5s'),
      readTimeout: durationSchema.prefault('60s'),
      sendTimeout: durationSchema.prefault('60s'),
      maxBodySize: sizeSchema.prefault(0),
    })
    .prefault({}),
  shutdown: z.strictObject({ drainTimeout: durationSchema.prefault('30s') }).prefault({}),
  loadBalancing: z
    .strictObject({
      // A secret: at least 128 bits of it in base64 or hex.
      affinityKey: z.string().min(16).optional(),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      format: z.enum(['json', 'pretty']).default('json'),
    })
    .prefault({}),
  registry: z
    .strictObject({
      enabled: z.boolean().default(false),
      address: listenAddressSchema.prefault('127.0.0.1:8848'),
      dataDir: z.string().min(1).optional(),
      store: z.enum(['embedded', 'etcd']).default('embedded'),
      etcd: z
        .strictObject({
          endpoints: z
            .array(z.url({ protocol: /^https?$/ }))
            .min(1)
            .default(['http://127.0.0.1:2379']),
          prefix: z
            .string()
            .regex(/^\/./, 'expected a key prefix such as "/tidegate/registry"')
            .default('/tidegate/registry'),
          dialTimeout: durationSchema.prefault('5s'),
        })
        .prefault({}),
      namespaces: z
        .array(z.string().regex(/^[0-9A-Za-z_.:-]{1,128}$/, 'expected [0-9A-Za-z_.:-]+'))
        .default([]),
      heartbeatTimeout: durationSchema.prefault('15s'),
      deleteTimeout: durationSchema.prefault('30s'),
      healthCheck: z
        .strictObject({ interval: durationSchema.prefault('5s'), timeout: durationSchema.prefault('2s') })
        .prefault({}),
      auth: z
        .strictObject({
          enabled: z.boolean().default(false),
          users: z
            .array(
              z.strictObject({
                username: z.string().min(1),
                passwordHash: z
                  .string()
                  .regex(/^\$2[aby]\$\d\d\$.{53}$/, 'expected a bcrypt hash ($2b$10$…)'),
              }),
            )
            .default([]),
          tokenTtl: durationSchema.prefault('5h'),
          tokenSecret: z.string().min(32, 'expected at least 32 characters').optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  demo: z
    .strictObject({
      whoami: z.array(z.strictObject({ name, address: listenAddressSchema })).default([]),
      selfSignedSecrets: z
        .array(
          z.strictObject({
            path: z.string().min(1),
            namespace: dnsSubdomain.default('default'),
            name: dnsSubdomain,
            hosts: z.array(hostName).min(1, 'expected at least one host'),
          }),
        )
        .default([]),
    })
    .prefault({}),
});

/** The schema's output: validated and unit-parsed, before cross-field checks and path resolution. */
export type ParsedConfig = z.output<typeof staticConfigSchema>;
