/** Formats a field path the way users read it: `entryPoints[1].address`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** True when `field` is `prefix` or lies below it (`a.b` is under `a`, `a[0]` too, `ab` is not). */
export function isUnder(field: string, prefix: string): boolean {
  if (!field.startsWith(prefix)) return false;
  const next = field[prefix.length];
  return next === undefined || next === '.' || next === '[';
}
