import { ChartSize, ChartTitles, DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, VegaLiteSpec, titleBlock, withChartDefaults } from './spec';
import { requireAxisTitle, requireChartTitle, requireField, requireSeriesTitle } from './titles';
import { distinctOf, formatNumber } from './summary';

/** Options of `barChart`: rows, the category and value fields, an optional grouping, titles. */
export interface BarChartOptions<Row extends object> extends ChartTitles, ChartSize {
  rows: readonly Row[];
  /** Field for the categories along the horizontal axis (one cluster of bars each). */
  x: keyof Row & string;
  /** Field for the bar heights (numbers). */
  y: keyof Row & string;
  /** Field that splits each category into side-by-side bars (a colour each). */
  group?: keyof Row & string;
  /** Legend title; defaults to the group field's name. */
  groupTitle?: string;
  /** Write each bar's value above it; default: when there are at most 24 bars. */
  valueLabels?: boolean;
}

/**
 * A bar chart, grouped when `group` is given: for each category on the x axis, one bar per
 * group side by side. Categories and groups keep the order of the rows. Use it to compare a
 * number across a few named cases (messages per commit for 2PC, 3PC and Paxos under each fault).
 *
 * @example
 *   const spec = barChart({
 *     title: 'Messages per commit',
 *     xTitle: 'fault', yTitle: 'messages per commit (count)',
 *     rows: [
 *       { fault: 'none', protocol: '2PC', messages: 4 }, { fault: 'none', protocol: '3PC', messages: 6 },
 *       { fault: 'crash', protocol: '2PC', messages: 9 }, { fault: 'crash', protocol: '3PC', messages: 11 },
 *     ],
 *     x: 'fault', y: 'messages', group: 'protocol',
 *   });
 *   chart(spec);
 */
export function barChart<Row extends object>(options: BarChartOptions<Row>): VegaLiteSpec {
  const name = 'barChart';
  const title = requireChartTitle(name, options.title);
  const xTitle = requireAxisTitle(name, 'xTitle', options.xTitle, 'categorical');
  const yTitle = requireAxisTitle(name, 'yTitle', options.yTitle, 'quantitative');
  const rows = options.rows;
  const x = requireField(name, 'x', rows, options.x);
  const y = requireField(name, 'y', rows, options.y);
  const group = options.group === undefined ? undefined : requireField(name, 'group', rows, options.group);
  const categories = distinctOf(rows, x);
  const groups = group ? distinctOf(rows, group) : [];
  const valueLabels = options.valueLabels ?? rows.length <= 24;
  // Horizontal category labels while they fit under their bars (about 7 px a character),
  // slanted when they would run into each other.
  const width = options.widthPx ?? DEFAULT_WIDTH_PX;
  const longest = Math.max(0, ...categories.map((c) => String(c).length));
  const slanted = longest * 7 > width / Math.max(1, categories.length);
  const axis = slanted ? { labelAngle: -40, labelAlign: 'right', labelLimit: 160 } : { labelAngle: 0 };
  const encoding: Record<string, unknown> = {
    x: { field: x, type: 'nominal', title: xTitle, sort: categories, axis },
    y: { field: y, type: 'quantitative', title: yTitle },
    tooltip: [
      { field: x, type: 'nominal', title: xTitle },
      ...(group ? [{ field: group, type: 'nominal' }] : []),
      { field: y, type: 'quantitative', title: yTitle },
    ],
  };
  if (group) {
    const legendTitle = requireSeriesTitle(options.groupTitle, group);
    encoding.xOffset = { field: group, type: 'nominal', sort: groups };
    encoding.color = { field: group, type: 'nominal', title: legendTitle, sort: groups };
  }
  const layers: Record<string, unknown>[] = [{ mark: { type: 'bar' } }];
  if (valueLabels) {
    layers.push({
      mark: { type: 'text', dy: -6, fontSize: 10, color: '#333333' },
      encoding: { text: { field: y, type: 'quantitative', format: '~r' }, color: { value: '#333333' } },
    });
  }
  return withChartDefaults({
    title: titleBlock(title, options.subtitle),
    description: describeBars(title, rows, x, y, group, yTitle),
    width,
    height: options.heightPx ?? DEFAULT_HEIGHT_PX,
    data: { values: rows.slice() },
    encoding,
    layer: layers,
  });
}

function describeBars(title: string, rows: readonly object[], x: string, y: string, group: string | undefined, yTitle: string): string {
  const lines = [`${title} (${yTitle}):`];
  for (const row of rows.slice(0, 40)) {
    const r = row as Record<string, unknown>;
    const value = typeof r[y] === 'number' ? formatNumber(r[y] as number) : String(r[y]);
    lines.push(`  ${String(r[x])}${group ? ` / ${String(r[group])}` : ''}: ${value}`);
  }
  if (rows.length > 40) lines.push(`  ... ${rows.length - 40} more bars`);
  return lines.join('\n');
}
