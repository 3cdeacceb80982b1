/**
 * Locale-independent orderings. `localeCompare` depends on the ICU data of the machine, so every sort in
 * translation uses code-unit order to keep the output byte-identical everywhere.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numeric order that also handles `-Infinity` (a missing timestamp) without producing `NaN`. */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
