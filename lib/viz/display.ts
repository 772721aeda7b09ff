import * as fs from 'fs';
import * as path from 'path';
import { DisplayBundle, PNG_MIME, TEXT_MIME, bundleFor, plotlyBundle, PlotlyBundleOptions, PlotlyFigure } from './bundle';
import { VegaLiteSpec } from './spec';
import { TableOptions, tableBundle } from './table';

/**
 * Showing a display bundle: in a tslab notebook as ONE `display_data` message carrying all
 * its formats; in plain Node (a script, a test) as its text on stdout, and the PNG in a file
 * if asked.
 *
 * Why one message: Jupyter keeps each `display_data` as one output and picks one format of
 * it to show. tslab's `display.png()` / `display.raw()` send one format per message, which
 * would save two outputs, both shown. tslab's kernel keeps the function that writes display
 * messages for the running cell as `lastWriteDisplayData` in its `dist/jupyter.js`; calling
 * it with the whole bundle sends the bundle as one message.
 *
 * Everything here is synchronous, on purpose. tslab sets `lastWriteDisplayData` when a cell
 * starts; a message written after the cell finished carries the finished cell's id (or the
 * next cell's, if one is running by then) and is lost: nbclient (nbconvert, the notebook
 * tests) stops listening to a cell at its `idle` status, and JupyterLab drops messages of a
 * finished request. So a display must happen while its cell runs. Drawing charts is
 * synchronous here (see `render.ts`), so `chart(spec)` displays before it returns and
 * cannot be forgotten to be awaited. The rule for any other async work in a notebook cell
 * stands: `await` it, or whatever it displays later is lost.
 *
 * @example
 *   import { chart, lineChart } from 'consensus-lab/viz';
 *   chart(lineChart({ title: 'Downtime', xTitle: 'timeout (ms)', yTitle: 'downtime (ms)',
 *     rows: results, x: 'timeoutMs', y: 'downtimeMs' }));
 */

/** tslab's writer: sends `{ data, metadata, transient }` as display_data (update = false). */
export type DisplayWriter = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/** Where `show` sends output outside a notebook (tests swap it). */
export interface ShowOptions {
  /** Also write the bundle's PNG to this file (folders are created). */
  pngPath?: string;
}

/**
 * The display writer of the tslab kernel running this process, or null outside a kernel.
 *
 * It is looked up among the modules already loaded rather than by `require('tslab/...')`:
 * the kernel may run a tslab installed elsewhere (globally, say) than the one this project's
 * node_modules would resolve to, and a freshly required copy has no writer. Outside a
 * kernel nothing is loaded, so plain Node never pays for loading tslab.
 */
export function notebookDisplayWriter(): DisplayWriter | null {
  const cache = require.cache;
  for (const key of Object.keys(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key)) continue;
    try {
      const writer = (cache[key]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
      if (typeof writer === 'function') return writer as DisplayWriter;
    } catch {
      // a half-loaded module: not a kernel we can use
    }
  }
  return null;
}

/** True inside a tslab notebook kernel that is running a cell (or has run one). */
export function inNotebook(): boolean {
  return notebookDisplayWriter() !== null;
}

/**
 * Shows a bundle: in a notebook as one output with all its formats, elsewhere as its text on
 * stdout (and its PNG in `options.pngPath` if given, in either case).
 *
 * @example
 *   show(bundleFor(spec), { pngPath: 'out/downtime.png' });
 */
export function show(bundle: DisplayBundle, options: ShowOptions = {}): void {
  if (options.pngPath !== undefined) writePng(bundle, options.pngPath);
  const writer = notebookDisplayWriter();
  if (writer) {
    writer({ data: bundle.data, metadata: bundle.metadata, transient: {} }, false);
    return;
  }
  const text = bundle.data[TEXT_MIME];
  process.stdout.write((typeof text === 'string' ? text : JSON.stringify(text)) + '\n');
}

/**
 * Draws a Vega-Lite chart and shows it (Vega-Lite JSON + PNG + text, as one output).
 * `summary` defaults to the spec's description, which the chart builders write.
 *
 * @example
 *   chart(cdfChart({ title: 'Commit latency', xTitle: 'latency (ms)',
 *     yTitle: 'commits at or below x (fraction)', samples: { raft: latencies } }));
 */
export function chart(spec: VegaLiteSpec, summary?: string, options: ShowOptions = {}): void {
  show(bundleFor(spec, summary), options);
}

/**
 * Shows a Plotly figure (interactive where JupyterLab has the Plotly extension), with the PNG
 * of `fallbackSpec` for every other viewer and the summary as text.
 *
 * @example
 *   plotlyChart(figure, { summary: 'commit index per node over 2 s', fallbackSpec: lineChart({ ... }) });
 */
export function plotlyChart(figure: PlotlyFigure, options: PlotlyBundleOptions & ShowOptions): void {
  show(plotlyBundle(figure, options), options);
}

/**
 * Shows rows as a table (HTML in notebooks, aligned text elsewhere).
 *
 * @example
 *   showTable(results, { title: 'Per seed', columns: ['seed', { field: 'commitMs', header: 'commit (ms)' }] });
 */
export function showTable(rows: readonly object[], options: TableOptions = {}): void {
  show(tableBundle(rows, options));
}

function writePng(bundle: DisplayBundle, pngPath: string): void {
  const png = bundle.data[PNG_MIME];
  if (typeof png !== 'string') throw new Error(`show: pngPath ${pngPath} was asked for, but this bundle has no PNG`);
  fs.mkdirSync(path.dirname(path.resolve(pngPath)), { recursive: true });
  fs.writeFileSync(pngPath, Buffer.from(png, 'base64'));
}
