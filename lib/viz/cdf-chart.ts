import { ConfigError } from '../core';
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
import { requireAxisTitle, requireChartTitle, requireSeriesTitle } from './titles';
import { formatNumber, quantileOfSorted, sortedNumbers } from './summary';

/** Options of `cdfChart`: samples (one array per series), titles with units. */
export interface CdfChartOptions extends ChartTitles, ChartSize {
  /** The samples: one array, or one array per named series. */
  samples: readonly number[] | Record<string, readonly number[]>;
  /** Legend title (default 'series'). */
  seriesTitle?: string;
  /** 'log' spreads out latencies that span orders of magnitude (samples must be > 0). */
  xScale?: 'linear' | 'log';
  /** At most this many steps are drawn per series (evenly spaced in rank); default 400. */
  maxPointsPerSeries?: number;
}

/** One step of an empirical CDF: `fraction` of the samples are <= `value`. */
export interface CdfPoint {
  series: string;
  value: number;
  fraction: number;
}

/**
 * Empirical CDF steps of some samples: for each distinct value v, the fraction of samples
 * <= v, starting with (min, 0). With more distinct values than `maxPoints`, keeps the
 * values at evenly spaced ranks (always the smallest and the largest).
 *
 * @example
 *   empiricalCdf('raft', [3, 1, 2, 2]) // (1,0) (1,0.25) (2,0.75) (3,1)
 */
export function empiricalCdf(series: string, samples: readonly number[], maxPoints = 400): CdfPoint[] {
  const sorted = sortedNumbers(samples.filter((v) => Number.isFinite(v)));
  const n = sorted.length;
  if (n === 0) return [];
  const points: CdfPoint[] = [{ series, value: sorted[0], fraction: 0 }];
  const ranks: number[] = [];
  if (n <= maxPoints) {
    for (let i = 1; i <= n; i++) ranks.push(i);
  } else {
    for (let k = 1; k <= maxPoints; k++) ranks.push(Math.ceil((k * n) / maxPoints));
  }
  for (const rank of ranks) {
    const value = sorted[rank - 1];
    // several samples with one value make one step: keep the highest fraction
    if (rank < n && sorted[rank] === value) continue;
    const last = points[points.length - 1];
    if (last.value === value && last.fraction > 0) last.fraction = rank / n;
    else points.push({ series, value, fraction: rank / n });
  }
  return points;
}

/**
 * An empirical CDF per series: for each x, the fraction of samples at or below it. Reads
 * off medians and tails at once (where the line crosses 0.5, 0.99) and compares whole
 * distributions, which a mean hides. Drawn as steps.
 *
 * @example
 *   const spec = cdfChart({
 *     title: 'Commit latency, with and without a leader crash',
 *     xTitle: 'commit latency (ms)', yTitle: 'commits at or below x (fraction)',
 *     samples: { 'no faults': latenciesA, 'leader crash at 1 s': latenciesB },
 *   });
 *   chart(spec);
 */
export function cdfChart(options: CdfChartOptions): VegaLiteSpec {
  const name = 'cdfChart';
  const title = requireChartTitle(name, options.title);
  const xTitle = requireAxisTitle(name, 'xTitle', options.xTitle, 'quantitative');
  const yTitle = requireAxisTitle(name, 'yTitle', options.yTitle, 'quantitative');
  const given = options.samples;
  if (!given || typeof given !== 'object') {
    throw new ConfigError(`${name} samples`, 'an array of numbers, or an object of arrays of numbers per series', given);
  }
  const bySeries: [string, readonly number[]][] = Array.isArray(given)
    ? [['samples', given as readonly number[]]]
    : Object.entries(given as Record<string, readonly number[]>);
  const xScale = options.xScale ?? 'linear';
  const maxPoints = options.maxPointsPerSeries ?? 400;
  const values: CdfPoint[] = [];
  for (const [series, samples] of bySeries) {
    if (!Array.isArray(samples)) throw new ConfigError(`${name} samples.${series}`, 'an array of numbers', samples);
    if (xScale === 'log' && samples.some((v) => v <= 0)) {
      throw new ConfigError(`${name} samples.${series}`, "all > 0 on xScale 'log'", samples.find((v) => v <= 0));
    }
    values.push(...empiricalCdf(series, samples, maxPoints));
  }
  const seriesNames = bySeries.map(([s]) => s);
  const encoding: Record<string, unknown> = {
    x: { field: 'value', type: 'quantitative', title: xTitle, scale: axisScale(xScale, false) },
    y: { field: 'fraction', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] } },
    tooltip: [
      { field: 'series', type: 'nominal' },
      { field: 'value', type: 'quantitative', title: xTitle },
      { field: 'fraction', type: 'quantitative', title: yTitle, format: '.3f' },
    ],
  };
  if (bySeries.length > 1 || !Array.isArray(given)) {
    encoding.color = { field: 'series', type: 'nominal', title: requireSeriesTitle(options.seriesTitle, 'series'), sort: seriesNames };
  }
  return withChartDefaults({
    title: titleBlock(title, options.subtitle),
    description: describeSamples(title, xTitle, bySeries),
    width: options.widthPx ?? DEFAULT_WIDTH_PX,
    height: options.heightPx ?? DEFAULT_HEIGHT_PX,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding,
  });
}

function describeSamples(title: string, xTitle: string, bySeries: readonly [string, readonly number[]][]): string {
  const lines = [`${title}, ${xTitle}:`];
  for (const [series, samples] of bySeries) {
    const sorted = sortedNumbers(samples.filter((v) => Number.isFinite(v)));
    if (sorted.length === 0) {
      lines.push(`  ${series}: no samples`);
      continue;
    }
    const q = (p: number) => formatNumber(quantileOfSorted(sorted, p));
    lines.push(`  ${series}: n=${sorted.length}, p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${formatNumber(sorted[sorted.length - 1])}`);
  }
  return lines.join('\n');
}
