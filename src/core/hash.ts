/**
 * FNV-1a 32-bit over UTF-16 code units. Stable across processes and replicas (no seed), cheap, and good enough
 * for change detection and hash-based picking; not for anything adversarial.
 */
export function fnv1a32(input: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
