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
import { distinctOf } from './summary';
import { describeXY } from './line-chart';

/** Options of `scatterChart`: rows, which fields go where, and the titles with units. */
export interface ScatterChartOptions<Row extends object> extends ChartTitles, ChartSize {
  rows: readonly Row[];
  x: keyof Row & string;
  y: keyof Row & string;
  /** Field that colours (and shapes) the points by group. */
  series?: keyof Row & string;
  seriesTitle?: string;
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  /** Point opacity, 0..1 (lower it when thousands of points overlap); default 0.7. */
  opacity?: number;
}

/**
 * A scatter chart: one point per row. Use it for runs that each give two numbers
 * (latency against throughput per seed, messages against cluster size).
 *
 * @example
 *   const spec = scatterChart({
 *     title: 'Each seed: messages and time to commit',
 *     xTitle: 'messages sent (count)', yTitle: 'time to commit (ms)',
 *     rows: runs.map((r) => ({ messages: r.messages, commitMs: r.commitMs, seed: r.seed })),
 *     x: 'messages', y: 'commitMs',
 *   });
 *   chart(spec);
 */
export function scatterChart<Row extends object>(options: ScatterChartOptions<Row>): VegaLiteSpec {
  const name = 'scatterChart';
  const title = requireChartTitle(name, options.title);
  const xTitle = requireAxisTitle(name, 'xTitle', options.xTitle, 'quantitative');
  const yTitle = requireAxisTitle(name, 'yTitle', options.yTitle, 'quantitative');
  const rows = options.rows;
  const x = requireField(name, 'x', rows, options.x);
  const y = requireField(name, 'y', rows, options.y);
  const series = options.series === undefined ? undefined : requireField(name, 'series', rows, options.series);
  const seriesNames = series ? distinctOf(rows, series) : [];
  const tooltip = rows.length > 0 ? Object.keys(rows[0]).map((field) => ({ field })) : [];
  const encoding: Record<string, unknown> = {
    x: { field: x, type: 'quantitative', title: xTitle, scale: axisScale(options.xScale, false) },
    y: { field: y, type: 'quantitative', title: yTitle, scale: axisScale(options.yScale, false) },
    tooltip,
  };
  if (series) {
    const legendTitle = requireSeriesTitle(options.seriesTitle, series);
    // same field, title and order on both channels: vega-lite draws one legend for the two
    encoding.color = { field: series, type: 'nominal', title: legendTitle, scale: { domain: seriesNames } };
    encoding.shape = { field: series, type: 'nominal', title: legendTitle, scale: { domain: seriesNames } };
  }
  return withChartDefaults({
    title: titleBlock(title, options.subtitle),
    description: describeXY(title, rows, x, y, xTitle, yTitle, series, seriesNames),
    width: options.widthPx ?? DEFAULT_WIDTH_PX,
    height: options.heightPx ?? DEFAULT_HEIGHT_PX,
    data: { values: rows.slice() },
    mark: { type: 'point', filled: true, size: 40, opacity: options.opacity ?? 0.7 },
    encoding,
  });
}
