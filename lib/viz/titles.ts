import { ConfigError } from '../core';

/**
 * Every chart names its axes and their units: a plot of "latency" against "n" answers
 * nothing, and units are where most misreadings start. The builders call these checks
 * and refuse a chart whose titles are missing, naming the parameter to fix.
 *
 * A quantitative axis title ends with its unit in parentheses ("commit latency (ms)",
 * "throughput (ops/s)"); a pure number says what it counts ("leader changes (count)",
 * "commits at or below x (fraction)"). A categorical axis just needs a name ("protocol").
 *
 * @example
 *   requireAxisTitle('lineChart', 'yTitle', 'commit latency (ms)', 'quantitative'); // ok
 *   requireAxisTitle('lineChart', 'yTitle', 'latency', 'quantitative');
 *   // ConfigError: lineChart yTitle must be an axis title ending in its unit in parentheses ...
 */

/** Matches a title that ends with a unit in parentheses: "... (ms)". */
const UNIT_AT_END = /\([^()]+\)\s*$/;

/** Refuses a missing or empty chart title. */
export function requireChartTitle(chart: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`${chart} title`, "a non-empty chart title (the question the chart answers)", value);
  }
  return value;
}

/**
 * Refuses a missing axis title, and a quantitative one without its unit in parentheses at the end.
 * `parameter` is the option's name as the caller wrote it (`xTitle`, `yTitle`).
 */
export function requireAxisTitle(
  chart: string,
  parameter: string,
  value: unknown,
  kind: 'quantitative' | 'categorical',
): string {
  if (typeof value !== 'string' || value.trim() === '') {
    const allowed =
      kind === 'quantitative'
        ? "an axis title with its unit last in parentheses, e.g. 'coordinator downtime (ms)'"
        : "an axis title naming the categories, e.g. 'protocol'";
    throw new ConfigError(`${chart} ${parameter}`, allowed, value);
  }
  if (kind === 'quantitative' && !UNIT_AT_END.test(value)) {
    throw new ConfigError(
      `${chart} ${parameter}`,
      "an axis title ending in its unit in parentheses, e.g. 'coordinator downtime (ms)' " +
        "(for a pure number say what it counts: '(count)', '(fraction)', '(%)')",
      value,
    );
  }
  return value;
}

/**
 * Refuses a field name that the rows do not have, listing the ones they do.
 *
 * @example
 *   requireField('lineChart', 'y', [{ t: 1, v: 2 }], 'v'); // ok
 */
export function requireField(chart: string, parameter: string, rows: readonly object[], field: unknown): string {
  const known = rows.length > 0 ? Object.keys(rows[0]) : [];
  if (typeof field !== 'string' || field === '' || (rows.length > 0 && !known.includes(field))) {
    const allowed = known.length > 0 ? `a field of the rows (one of ${known.join(', ')})` : 'a field name (a string)';
    throw new ConfigError(`${chart} ${parameter}`, allowed, field);
  }
  return field;
}

/** A legend title: the one given, or else the field's name. */
export function requireSeriesTitle(given: string | undefined, field: string): string {
  return given !== undefined && given.trim() !== '' ? given : field;
}
