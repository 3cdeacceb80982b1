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

const entryPointSchema = z.strictObject({
  name,
  address: listenAddressSchema,
  protocol: z.enum(['http', 'https']).default('http'),
  tls: tlsSchema.optional(),
  forwardedHeaders: z.strictObject({ trustedProxies: z.array(cidrSchema).default([]) }).prefault({}),
  maxHeaderSize: sizeSchema.prefault('16k'),
  requestTimeout: durationSchema.prefault(0),
  keepAliveTimeout: durationSchema.prefault('75s'),
});

export const DEFAULT_ENTRY_POINTS = [{ name: 'web', address: '0.0.0.0:8080', protocol: 'http' }] as const;

export const staticConfigSchema = z.strictObject({
  entryPoints: z.array(entryPointSchema).prefault([...DEFAULT_ENTRY_POINTS]),
  admin: z.strictObject({ address: listenAddressSchema.prefault('127.0.0.1:9000') }).prefault({}),
  providers: z
    .strictObject({
      file: z
        .strictObject({
          paths: z.array(z.string().min(1)).min(1, 'expected at least one file or directory'),
          watch: z.boolean().default(true),
          debounce: durationSchema.prefault('100ms'),
        })
        .optional(),
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
  logging: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      format: z.enum(['json', 'pretty']).default('json'),
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
