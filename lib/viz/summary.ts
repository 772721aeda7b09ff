/**
 * Short text versions of the numbers behind a chart: the `text/plain` part of a display
 * bundle, what a reader sees where no image shows (a terminal, a diff, a screen reader).
 *
 * @example
 *   formatNumber(1234.5678) // '1234.57'
 *   describeValues([3, 1, 2]) // 'min 1, median 2, max 3'
 */

/** A number with at most 3 significant decimals, no trailing zeros, no exponent for usual sizes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  const decimals = magnitude >= 100 ? 2 : magnitude >= 1 ? 3 : 4;
  return String(Number(value.toFixed(decimals)));
}

/** The q-quantile (0..1) of sorted values, nearest rank; NaN for no values. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Sorts numbers ascending into a new array. */
export function sortedNumbers(values: readonly number[]): number[] {
  return values.slice().sort((a, b) => a - b);
}

/** 'min a, median b, max c' of some values, or 'no values'. */
export function describeValues(values: readonly number[]): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return 'no values';
  const sorted = sortedNumbers(finite);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min === max) return `all ${formatNumber(min)}`;
  return `min ${formatNumber(min)}, median ${formatNumber(quantileOfSorted(sorted, 0.5))}, max ${formatNumber(max)}`;
}

/** The numeric values of one field of some rows (non-numbers left out). */
export function numbersOf(rows: readonly object[], field: string): number[] {
  const out: number[] = [];
  for (const row of rows) {
    const value = (row as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  }
  return out;
}

/** The distinct values of one field of some rows, as strings, in order of first appearance. */
export function distinctOf(rows: readonly object[], field: string): string[] {
  const seen = new Set<string>();
  for (const row of rows) seen.add(String((row as Record<string, unknown>)[field]));
  return [...seen];
}
