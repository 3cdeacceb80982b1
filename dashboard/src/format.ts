/** Display helpers shared by the pages. */

export function rps(value: number | undefined): string {
  if (value === undefined) return '0';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function percent(value: number | undefined): string {
  return value === undefined || value === 0 ? '0%' : `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`;
}

/** Seconds as ms. */
export function latency(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  const ms = seconds * 1000;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

export function date(iso: string | null): string {
  return iso === null ? '–' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function objectRef(ref: {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}): string {
  return `${ref.kind}/${ref.namespace === '' ? '' : `${ref.namespace}/`}${ref.name}`;
}
