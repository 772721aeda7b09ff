import { ConfigError } from '../core';
import { renderChart } from './render';
import { VegaLiteSpec, specTitle } from './spec';

/**
 * A display bundle: one output, several formats of it, as Jupyter's `display_data` message
 * carries them. Each place that shows a notebook picks the richest format it can:
 * JupyterLab 4 draws the Vega-Lite JSON (interactive: tooltips), nbconvert's HTML and
 * GitHub show the PNG, a terminal or a diff shows the text. So a saved notebook shows its
 * charts everywhere, and its numbers even where images do not show.
 *
 * `data` maps MIME types to content: JSON types as objects, images as base64 strings.
 * `metadata['image/png']` gives the image's size in CSS pixels, so that the 2x PNG is shown
 * at its intended size and stays crisp.
 *
 * @example
 *   const bundle = bundleFor(spec, 'median downtime 310 ms over 20 seeds');
 *   Object.keys(bundle.data) // ['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']
 *   show(bundle);
 */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
export const PNG_MIME = 'image/png';
export const SVG_MIME = 'image/svg+xml';
export const HTML_MIME = 'text/html';
export const TEXT_MIME = 'text/plain';

/** Options of `bundleFor`. */
export interface BundleOptions {
  /** Also include the SVG (larger; nbconvert's HTML prefers it over the PNG). Default false. */
  svg?: boolean;
  /** Device pixels per CSS pixel in the PNG (default 2, less for a very large chart). */
  scale?: number;
}

/**
 * The display bundle of a Vega-Lite chart: the spec itself, a PNG drawn in-process and a
 * text summary. Pure: it draws but displays nothing, so tests can look inside.
 * `summary` defaults to the spec's `description` (the chart builders write one), else its title.
 *
 * @example
 *   const bundle = bundleFor(lineChart({ ... }));
 *   bundle.data['text/plain'] // 'Longer timeouts, longer downtime: 12 points in 2 series ...'
 */
export function bundleFor(spec: VegaLiteSpec, summary?: string, options: BundleOptions = {}): DisplayBundle {
  if (!spec || typeof spec !== 'object') throw new ConfigError('bundleFor spec', 'a Vega-Lite spec (an object)', spec);
  const rendered = renderChart(spec, options.scale);
  const data: Record<string, unknown> = {
    [VEGA_LITE_MIME]: spec,
    [PNG_MIME]: rendered.png.toString('base64'),
    [TEXT_MIME]: summaryText(spec, summary),
  };
  if (options.svg) data[SVG_MIME] = rendered.svg;
  return { data, metadata: { [PNG_MIME]: { width: rendered.widthPx, height: rendered.heightPx } } };
}

/** A Plotly figure as plotly.js takes it: traces, layout, config. Plain JSON. */
export interface PlotlyFigure {
  data: object[];
  layout?: object;
  config?: object;
  frames?: object[];
}

/** Options of `plotlyBundle`. */
export interface PlotlyBundleOptions {
  /** The numbers in a sentence or two: shown where neither Plotly nor images render. */
  summary: string;
  /**
   * A Vega-Lite spec of the same chart, drawn as the PNG (plotly.js needs a browser, so the
   * figure itself cannot be drawn here). Without it the bundle has no image.
   */
  fallbackSpec?: VegaLiteSpec;
  scale?: number;
}

/**
 * The display bundle of a Plotly figure (for hover and zoom in JupyterLab with the Plotly
 * extension), with a PNG drawn from an equivalent Vega-Lite spec and a text summary.
 * The figure is plain JSON: lib code never loads plotly.js.
 *
 * @example
 *   const figure = { data: [{ type: 'scatter', mode: 'lines', x: [0, 1, 2], y: [5, 3, 4] }],
 *                    layout: { xaxis: { title: { text: 'time (ms)' } } } };
 *   show(plotlyBundle(figure, { summary: 'three points', fallbackSpec: lineChart({ ... }) }));
 */
export function plotlyBundle(figure: PlotlyFigure, options: PlotlyBundleOptions): DisplayBundle {
  if (!figure || !Array.isArray(figure.data)) {
    throw new ConfigError('plotlyBundle figure', 'a Plotly figure { data: [...traces], layout? }', figure);
  }
  if (!options || typeof options.summary !== 'string' || options.summary.trim() === '') {
    throw new ConfigError('plotlyBundle summary', 'a short text of the numbers shown', options?.summary);
  }
  const data: Record<string, unknown> = { [PLOTLY_MIME]: figure };
  const metadata: Record<string, unknown> = {};
  if (options.fallbackSpec) {
    const rendered = renderChart(options.fallbackSpec, options.scale);
    data[PNG_MIME] = rendered.png.toString('base64');
    metadata[PNG_MIME] = { width: rendered.widthPx, height: rendered.heightPx };
  }
  data[TEXT_MIME] = options.summary;
  return { data, metadata };
}

function summaryText(spec: VegaLiteSpec, summary: string | undefined): string {
  if (summary !== undefined && summary.trim() !== '') return summary;
  if (typeof spec.description === 'string' && spec.description.trim() !== '') return spec.description;
  const title = specTitle(spec);
  return title !== '' ? `chart: ${title}` : 'chart';
}
