/**
 * consensus-lab/viz: charts and diagrams for the notebooks, drawn from trace records.
 * Every chart is shown as one display bundle (Vega-Lite JSON, a PNG drawn in-process and a
 * text summary), so a saved notebook shows it in JupyterLab, on GitHub and in exported HTML.
 *
 * @example
 *   import { chart, lineChart, spaceTimeDiagram } from 'consensus-lab/viz';
 *   chart(spaceTimeDiagram(sim.trace.events, { title: 'Two-phase commit, coordinator crash' }));
 */
export * from './spec';
export * from './titles';
export * from './summary';
export * from './text-width';
export * from './render';
export * from './resvg-safe';
export * from './bundle';
export * from './display';
export * from './table';
export * from './line-chart';
export * from './bar-chart';
export * from './scatter-chart';
export * from './cdf-chart';
export * from './space-time-data';
export * from './space-time';
export * from './log-grid';
export * from './progress';
