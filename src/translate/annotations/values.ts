/**
 * Parsers for annotation values, in the formats ingress-nginx accepts. Each returns `null` for a value it
 * cannot read; the caller then warns and keeps the default, as ingress-nginx ignores a bad annotation.
 */

const TRUE_VALUES: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** A boolean as Go's `strconv.ParseBool` reads it (ingress-nginx parses boolean annotations with it). */
export function parseBoolean(value: string): boolean | null {
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  return null;
}

/** Node timers overflow above 2^31-1 ms (about 24.8 days), so longer timeouts cannot be honoured. */
const MAX_TIMEOUT_MS = 2_147_483_647;

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/**
 * A positive timeout in milliseconds. ingress-nginx takes bare seconds (`"30"`); a unit suffix (`"30s"`,
 * `"500ms"`, `"2m"`) is also accepted because operators write it by habit.
 */
export function parseTimeoutMs(value: string): number | null {
  const match = /^(\d+)(ms|s|m)?$/.exec(value.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? 's'] ?? 1000);
  return ms >= 1 && ms <= MAX_TIMEOUT_MS ? ms : null;
}

const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * An nginx size (`client_max_body_size` syntax): bytes, or a number with `k`, `m` or `g` (either case,
 * binary multiples). `"0"` disables the limit, as in nginx: `{ bytes: null }`.
 */
export function parseByteSize(value: string): { readonly bytes: number | null } | null {
  const match = /^(\d+)([kKmMgG])?$/.exec(value.trim());
  if (match === null) return null;
  const bytes = Number(match[1]) * (SIZE_UNIT_BYTES[(match[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) return null;
  return { bytes: bytes === 0 ? null : bytes };
}
