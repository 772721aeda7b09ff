import type * as VegaModule from 'vega';
import type * as VegaLiteModule from 'vega-lite';
import type * as ResvgModule from '@resvg/resvg-js';
import { VegaLiteSpec } from './spec';
import { VegaTextMetrics, withDejaVuMetrics } from './text-width';
import { safeForResvg } from './resvg-safe';

/**
 * Rendering a Vega-Lite spec to SVG and PNG inside Node, synchronously.
 *
 * vega's own `view.toSVG()` is async, yet for a spec with inline data every step of it is
 * synchronous underneath: `view.run()` evaluates the dataflow at once, and vega's SVG string
 * renderer draws the scene at once. This module takes that synchronous path, so a notebook
 * cell can draw a chart without `await` (see `display.ts` for why that matters in tslab).
 * A spec that loads data from a URL cannot be drawn this way and is refused with an error.
 *
 * vega, vega-lite and resvg load on first use, so importing the library stays cheap.
 *
 * @example
 *   import { renderPng, lineChart } from 'consensus-lab/viz';
 *   const spec = lineChart({ title: 't', xTitle: 'time (ms)', yTitle: 'load (ops/s)',
 *     rows: [{ t: 0, v: 1 }, { t: 10, v: 3 }], x: 't', y: 'v' });
 *   require('fs').writeFileSync('/tmp/chart.png', renderPng(spec));
 */

/** Pixel density of the PNGs: 2 device pixels per CSS pixel, crisp on high-density screens. */
export const PNG_SCALE = 2;

/**
 * Largest PNG, in device pixels, before the scale is lowered below 2 (a tall space-time
 * diagram): keeps a chart's PNG around 200 KB or less in the saved notebook.
 */
export const PNG_MAX_PIXELS = 1_600_000;

/** The scale a PNG of this CSS size gets: 2, or less for a large chart, never below 1. */
export function pngScaleFor(widthPx: number, heightPx: number): number {
  const area = Math.max(1, widthPx * heightPx);
  const scale = Math.min(PNG_SCALE, Math.sqrt(PNG_MAX_PIXELS / area));
  return Math.max(1, Math.floor(scale * 20) / 20);
}

/** A chart drawn once, in both image formats, with its size in CSS pixels. */
export interface RenderedChart {
  svg: string;
  png: Buffer;
  widthPx: number;
  heightPx: number;
  /** Warnings from vega-lite and vega (dropped encodings, empty scales, ...). */
  warnings: string[];
}

/** The result of compiling Vega-Lite to Vega. */
export interface CompiledChart {
  vegaSpec: object;
  warnings: string[];
}

/** Internals of vega the synchronous path needs (stable since vega 5.0, but untyped). */
interface VegaInternals {
  SVGStringRenderer: new (loader: unknown) => {
    initialize(el: null, width: number, height: number, origin: number[], scaleFactor: number): {
      background(color: unknown): { render(scene: unknown): { svg(): string } };
    };
  };
  resetSVGDefIds(): void;
  textMetrics: VegaTextMetrics;
}

interface ViewInternals {
  _viewWidth: number;
  _viewHeight: number;
  _origin: number[];
  _pulse: unknown;
  _pending: unknown;
  _scenegraph: { root: unknown };
  padding(): { top: number; bottom: number; left: number; right: number };
  background(): unknown;
  loader(): unknown;
}

let vegaCache: typeof VegaModule | null = null;
let vegaLiteCache: typeof VegaLiteModule | null = null;
let resvgCache: typeof ResvgModule | null = null;

function vega(): typeof VegaModule {
  return (vegaCache ??= require('vega') as typeof VegaModule);
}

function vegaLite(): typeof VegaLiteModule {
  return (vegaLiteCache ??= require('vega-lite') as typeof VegaLiteModule);
}

function resvg(): typeof ResvgModule {
  return (resvgCache ??= require('@resvg/resvg-js') as typeof ResvgModule);
}

/** A vega/vega-lite logger that keeps messages instead of printing them (stderr fails a notebook run). */
class CollectingLogger {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  private currentLevel = 2;
  level(): number;
  level(level: number): this;
  level(level?: number): number | this {
    if (level === undefined) return this.currentLevel;
    this.currentLevel = level;
    return this;
  }
  error(...args: unknown[]): this {
    this.errors.push(args.map(String).join(' '));
    return this;
  }
  warn(...args: unknown[]): this {
    this.warnings.push(args.map(String).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

/**
 * Compiles a Vega-Lite spec to Vega, collecting warnings instead of printing them.
 *
 * @example
 *   compileChart(spec).warnings // [] for the charts this library builds
 */
export function compileChart(spec: VegaLiteSpec): CompiledChart {
  const logger = new CollectingLogger();
  const compile = vegaLite().compile as unknown as (spec: unknown, options: unknown) => { spec: object };
  const result = compile(spec, { logger });
  return { vegaSpec: result.spec, warnings: logger.warnings };
}

interface DrawnSvg {
  svg: string;
  widthPx: number;
  heightPx: number;
  warnings: string[];
}

function drawSvg(spec: VegaLiteSpec): DrawnSvg {
  const compiled = compileChart(spec);
  const vg = vega();
  const internals = vg as unknown as VegaInternals;
  const logger = new CollectingLogger();
  return withDejaVuMetrics(internals.textMetrics, () => {
    const runtime = vg.parse(compiled.vegaSpec as VegaModule.Spec);
    const view = new vg.View(runtime, { renderer: 'none', logger } as VegaModule.ViewOptions);
    try {
      view.run();
      const inner = view as unknown as ViewInternals;
      if (inner._pulse || inner._pending) {
        throw new Error(
          'renderSvg draws charts synchronously and so needs inline data (data: { values: [...] }); ' +
            'this spec loads data from elsewhere',
        );
      }
      if (logger.errors.length > 0) throw new Error(`vega could not draw the chart: ${logger.errors.join('; ')}`);
      const padding = inner.padding();
      const widthPx = Math.max(0, inner._viewWidth + padding.left + padding.right);
      const heightPx = Math.max(0, inner._viewHeight + padding.top + padding.bottom);
      const origin = [padding.left + inner._origin[0], padding.top + inner._origin[1]];
      internals.resetSVGDefIds(); // clip-path ids restart at 1: the same spec gives the same SVG
      const renderer = new internals.SVGStringRenderer(inner.loader());
      const svg = renderer
        .initialize(null, widthPx, heightPx, origin, 1)
        .background(inner.background())
        .render(inner._scenegraph.root)
        .svg();
      return { svg, widthPx, heightPx, warnings: [...compiled.warnings, ...logger.warnings] };
    } finally {
      view.finalize();
    }
  });
}

/**
 * Draws a Vega-Lite spec as an SVG string (CSS pixel units, fonts by name).
 *
 * @example
 *   const svg = renderSvg(spec); // '<svg xmlns="http://www.w3.org/2000/svg" ...'
 */
export function renderSvg(spec: VegaLiteSpec): string {
  return drawSvg(spec).svg;
}

/**
 * Rasterises an SVG with resvg: DejaVu Sans from the system fonts, on white, at `scale`.
 * The SVG is first made safe for resvg (see `resvg-safe.ts`: otherwise some charts abort Node).
 */
export function svgToPng(svg: string, scale = PNG_SCALE): Buffer {
  const { Resvg } = resvg();
  const image = new Resvg(safeForResvg(svg), {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return image.render().asPng();
}

/**
 * Draws a Vega-Lite spec as a PNG on white, 2 device pixels per CSS pixel (less for a
 * chart so large that the PNG would pass `PNG_MAX_PIXELS`), unless `scale` is given.
 * The same spec gives the same bytes on every run.
 *
 * @example
 *   require('fs').writeFileSync('/tmp/chart.png', renderPng(spec));
 */
export function renderPng(spec: VegaLiteSpec, scale?: number): Buffer {
  return renderChart(spec, scale).png;
}

/**
 * Draws a spec once into both formats, with its size and any warnings: what a display
 * bundle needs.
 *
 * @example
 *   const { png, widthPx, heightPx } = renderChart(spec);
 */
export function renderChart(spec: VegaLiteSpec, scale?: number): RenderedChart {
  const drawn = drawSvg(spec);
  return { ...drawn, png: svgToPng(drawn.svg, scale ?? pngScaleFor(drawn.widthPx, drawn.heightPx)) };
}
