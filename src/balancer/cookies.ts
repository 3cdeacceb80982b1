/**
 * The value of cookie `name` in a `Cookie` request header (RFC 6265 §5.4: `name=value` pairs separated by `; `),
 * or null when absent. Scans the header in place; only the returned value is allocated.
 */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  let at = 0;
  const length = header.length;
  while (at < length) {
    while (at < length && (header.charCodeAt(at) === 32 || header.charCodeAt(at) === 59)) at++;
    let end = header.indexOf(';', at);
    if (end < 0) end = length;
    if (
      end - at > name.length &&
      header.charCodeAt(at + name.length) === 61 /* = */ &&
      header.startsWith(name, at)
    ) {
      let value = header.slice(at + name.length + 1, end).trimEnd();
      // RFC 6265 allows a DQUOTE-wrapped cookie-value.
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    at = end + 1;
  }
  return null;
}
