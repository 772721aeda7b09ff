import {
  ChartSize,
  ChartTitles,
  DEFAULT_HEIGHT_PX,
  DEFAULT_WIDTH_PX,
  VegaLiteSpec,
  axisScale,
  titleBlock,
  withChartDefaults,
} from './spec';
import { requireAxisTitle, requireChartTitle, requireField, requireSeriesTitle } from './titles';
import { describeValues, distinctOf, numbersOf } from './summary';

/** Options of `lineChart`: rows of data, which fields go where, and the titles with units. */
export interface LineChartOptions<Row extends object> extends ChartTitles, ChartSize {
  rows: readonly Row[];
  /** Field for the horizontal axis (numbers). */
  x: keyof Row & string;
  /** Field for the vertical axis (numbers). */
  y: keyof Row & string;
  /** Field that splits the rows into one line per value (a colour each). */
  series?: keyof Row & string;
  /** Legend title; defaults to the series field's name. */
  seriesTitle?: string;
  /** Draw a dot at each point; default: when no series has more than 40 points. */
  points?: boolean;
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  /** Start the vertical axis at zero (default true on a linear scale). */
  yZero?: boolean;
}

/**
 * A line chart: one line per series, points joined in order of x. Use it for a quantity
 * that changes with a knob or over time (downtime against timeout, commit index over time).
 *
 * @example
 *   const spec = lineChart({
 *     title: 'Longer timeouts, longer downtime',
 *     xTitle: 'election timeout (ms)', yTitle: 'coordinator downtime (ms)',
 *     rows: [{ timeoutMs: 150, downtimeMs: 310, protocol: 'raft' }, { timeoutMs: 300, downtimeMs: 540, protocol: 'raft' }],
 *     x: 'timeoutMs', y: 'downtimeMs', series: 'protocol',
 *   });
 *   chart(spec);
 */
export function lineChart<Row extends object>(options: LineChartOptions<Row>): VegaLiteSpec {
  const name = 'lineChart';
  const title = requireChartTitle(name, options.title);
  const xTitle = requireAxisTitle(name, 'xTitle', options.xTitle, 'quantitative');
  const yTitle = requireAxisTitle(name, 'yTitle', options.yTitle, 'quantitative');
  const rows = options.rows;
  const x = requireField(name, 'x', rows, options.x);
  const y = requireField(name, 'y', rows, options.y);
  const series = options.series === undefined ? undefined : requireField(name, 'series', rows, options.series);
  const seriesNames = series ? distinctOf(rows, series) : [];
  const largestSeries = series
    ? Math.max(0, ...seriesNames.map((s) => rows.filter((r) => String((r as Record<string, unknown>)[series]) === s).length))
    : rows.length;
  const points = options.points ?? largestSeries <= 40;
  const yScale = options.yScale ?? 'linear';
  const encoding: Record<string, unknown> = {
    x: { field: x, type: 'quantitative', title: xTitle, scale: axisScale(options.xScale, false) },
    y: { field: y, type: 'quantitative', title: yTitle, scale: axisScale(yScale, options.yZero ?? true) },
    tooltip: [
      ...(series ? [{ field: series, type: 'nominal' }] : []),
      { field: x, type: 'quantitative', title: xTitle },
      { field: y, type: 'quantitative', title: yTitle },
    ],
  };
  if (series) {
    encoding.color = { field: series, type: 'nominal', title: requireSeriesTitle(options.seriesTitle, series), sort: seriesNames };
  }
  return withChartDefaults({
    title: titleBlock(title, options.subtitle),
    description: describeXY(title, rows, x, y, xTitle, yTitle, series, seriesNames),
    width: options.widthPx ?? DEFAULT_WIDTH_PX,
    height: options.heightPx ?? DEFAULT_HEIGHT_PX,
    data: { values: rows.slice() },
    mark: { type: 'line', point: points, strokeWidth: 2 },
    encoding,
  });
}

/** The text summary of an x/y chart: point count, x range, y per series. */
export function describeXY(
  title: string,
  rows: readonly object[],
  x: string,
  y: string,
  xTitle: string,
  yTitle: string,
  series: string | undefined,
  seriesNames: readonly string[],
): string {
  const lines = [`${title}: ${rows.length} points${series ? ` in ${seriesNames.length} series` : ''}`];
  lines.push(`  x, ${xTitle}: ${describeValues(numbersOf(rows, x))}`);
  if (!series) {
    lines.push(`  y, ${yTitle}: ${describeValues(numbersOf(rows, y))}`);
  } else {
    lines.push(`  y, ${yTitle}:`);
    for (const name of seriesNames.slice(0, 12)) {
      const own = rows.filter((r) => String((r as Record<string, unknown>)[series]) === name);
      lines.push(`    ${name}: ${describeValues(numbersOf(own, y))}`);
    }
    if (seriesNames.length > 12) lines.push(`    ... ${seriesNames.length - 12} more series`);
  }
  return lines.join('\n');
}
