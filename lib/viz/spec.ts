/**
 * The shape of the chart specifications this library builds and renders: Vega-Lite v5 JSON.
 *
 * The type is kept loose on purpose (any Vega-Lite v5 spec is accepted); vega-lite's own
 * types are large, change between versions and would have to load in every notebook cell.
 * `renderSvg` compiles the spec with vega-lite and reports what is wrong with it.
 *
 * @example
 *   const spec: VegaLiteSpec = withChartDefaults({
 *     title: 'one point',
 *     data: { values: [{ x: 1, y: 2 }] },
 *     mark: 'point',
 *     encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
 *   });
 */
export interface VegaLiteSpec {
  $schema?: string;
  title?: string | { text: string | string[]; subtitle?: string | string[]; [key: string]: unknown };
  description?: string;
  width?: number | 'container';
  height?: number | 'container';
  config?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The Vega-Lite version the bundles announce (`application/vnd.vegalite.v5+json`). */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * The fonts charts ask for: DejaVu Sans first (installed where the PNGs are rendered, and
 * what `text-width.ts` measures), then what a browser is likely to have.
 */
export const CHART_FONT = 'DejaVu Sans, Verdana, Helvetica, Arial, sans-serif';

/** Shared look of every chart: font, white background, readable sizes. */
export const CHART_CONFIG: Record<string, unknown> = {
  font: CHART_FONT,
  background: 'white',
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555555', anchor: 'start', offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelColor: '#333333', titleColor: '#222222' },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
  view: { stroke: '#dddddd' },
};

/** Default plot size (the data area, without axes and legend), in CSS pixels. */
export const DEFAULT_WIDTH_PX = 520;
export const DEFAULT_HEIGHT_PX = 300;

/**
 * Adds the schema and the shared look to a spec, keeping anything the spec sets itself.
 *
 * @example
 *   withChartDefaults({ mark: 'bar', data: { values: [] } }).config // { font: ..., ... }
 */
export function withChartDefaults(spec: VegaLiteSpec): VegaLiteSpec {
  const config = { ...CHART_CONFIG, ...(spec.config ?? {}) };
  return { $schema: VEGA_LITE_SCHEMA, ...spec, config };
}

/** The title text of a spec, for summaries: '' when it has none. */
export function specTitle(spec: VegaLiteSpec): string {
  const title = spec.title;
  if (typeof title === 'string') return title;
  if (title && typeof title === 'object') return Array.isArray(title.text) ? title.text.join(' ') : String(title.text);
  return '';
}

/** Optional size of a chart's plot area, in CSS pixels. */
export interface ChartSize {
  widthPx?: number;
  heightPx?: number;
}

/** The titles every chart must have: the question it answers and both axes, units last. */
export interface ChartTitles {
  /** What the chart shows, e.g. 'Coordinator downtime grows with the timeout'. */
  title: string;
  /** Horizontal axis with its unit, e.g. 'election timeout (ms)'. */
  xTitle: string;
  /** Vertical axis with its unit, e.g. 'coordinator downtime (ms)'. */
  yTitle: string;
  /** A second line under the title (the setup: seed, n, fault mix). */
  subtitle?: string;
}

/** The title block of a spec: the title, with a subtitle line when there is one. */
export function titleBlock(title: string, subtitle?: string | string[]): VegaLiteSpec['title'] {
  return subtitle === undefined || subtitle.length === 0 ? title : { text: title, subtitle };
}

/**
 * The scale of a quantitative axis: linear (from zero if asked) or log (never from zero,
 * and not widened to whole powers of ten, which can waste most of the axis).
 *
 * @example
 *   axisScale('log', true) // { type: 'log', nice: false }
 */
export function axisScale(type: 'linear' | 'log' | undefined, zero: boolean): Record<string, unknown> {
  return type === 'log' ? { type: 'log', nice: false } : { type: 'linear', zero };
}
