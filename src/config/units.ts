/**
 * Duration and size values as operators write them (nginx style): `100ms`, `5s`, `1m`, `1h`; `16k`, `1m`, `2g`.
 * A bare number means milliseconds (durations) or bytes (sizes), so YAML numbers and strings agree.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
// `ms` before `m` so that `5ms` is not read as five minutes followed by garbage.
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE = /^(\d+)([kmg]?)$/i;

function wholeNumber(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`invalid ${what} ${value}: expected a whole number >= 0`);
  }
  return value;
}

/**
 * Parses a duration into milliseconds. Strings are one or more `<number><unit>` parts with units `ms`, `s`, `m`,
 * `h`, `d` (`1m30s`, `1.5s`); numbers are milliseconds. `"0"` is accepted without a unit; any other unitless
 * string is rejected because nginx reads it as seconds and a silent factor of 1000 is worse than an error.
 * @throws RangeError with a message fit for a config error.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return wholeNumber(input, 'duration (milliseconds)');
  const text = input.trim();
  if (text === '0') return 0;
  let total = 0;
  let at = 0;
  DURATION_PART.lastIndex = 0;
  while (at < text.length) {
    DURATION_PART.lastIndex = at;
    const match = DURATION_PART.exec(text);
    if (!match) break;
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 0);
    at = DURATION_PART.lastIndex;
  }
  if (text.length === 0 || at !== text.length) {
    throw new RangeError(
      `invalid duration "${input}": expected a number with a unit (ms, s, m, h, d), e.g. "5s"`,
    );
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw new RangeError(`invalid duration "${input}": too large`);
  return ms;
}

/**
 * Parses a size into bytes. Strings are digits with an optional `k`, `m` or `g` suffix (case-insensitive, binary
 * multiples as in nginx: `16k` = 16384); numbers are bytes.
 * @throws RangeError with a message fit for a config error.
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') return wholeNumber(input, 'size (bytes)');
  const match = SIZE.exec(input.trim());
  if (!match) {
    throw new RangeError(`invalid size "${input}": expected bytes or a number with k, m or g, e.g. "16k"`);
  }
  const bytes = Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`invalid size "${input}": too large`);
  return bytes;
}
