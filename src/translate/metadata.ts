import type { SourcedObject } from '../objects/envelope.js';

/**
 * A string value of `metadata.labels` or `metadata.annotations`, or undefined when absent or not a string:
 * providers only check the envelope, so these maps may hold anything a manifest wrote.
 */
export function metadataString(
  sourced: SourcedObject,
  map: 'labels' | 'annotations',
  key: string,
): string | undefined {
  const values: unknown = sourced.object.metadata[map];
  if (values === null || typeof values !== 'object') return undefined;
  const value: unknown = (values as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
