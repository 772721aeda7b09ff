import { ConfigError, NodeId, TraceEvent } from '../core';
import { SpaceTimeFacts, spaceTimeFacts, MessageFact } from './space-time-data';
import { VegaLiteSpec, titleBlock, withChartDefaults } from './spec';
import { formatNumber } from './summary';
import { textWidthPx } from './text-width';

/** Options of `spaceTimeDiagram`. */
export interface SpaceTimeOptions {
  /** Default 'Space-time diagram'. */
  title?: string;
  /** A line under the title (the run: seed, faults); the diagram adds its counts below it. */
  subtitle?: string;
  /** Lane order, left to right; nodes not listed follow in order of first appearance. */
  nodes?: readonly NodeId[];
  /** Only draw this time window (virtual ms); default the whole trace. */
  fromMs?: number;
  toMs?: number;
  /** Draw at most this many messages, the earliest sent (default 150); the subtitle counts the rest. */
  maxMessages?: number;
  /** Write each message's type on its arrow; default: when at most 80 messages are drawn. */
  messageLabels?: boolean;
  /** Plot size in CSS pixels; default 150 per node wide, 12 per message tall (320..1600). */
  widthPx?: number;
  heightPx?: number;
}

/** Colours of the non-message marks. */
const CRASH_COLOR = '#d62728';
const PAUSE_COLOR = '#ff7f0e';
const RESTART_COLOR = '#2ca02c';
const CLIENT_COLOR = '#1f77b4';
/**
 * Colours of message types: distinct, and none of them red, orange or green, which mark
 * crashes, pauses, restarts and client returns.
 */
const MESSAGE_COLORS = ['#1f77b4', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#393b79', '#bcbd22', '#7f7f7f', '#637939', '#ad494a'];
/** A message the network lost ends this far toward its receiver (not halfway: that can sit on a lane). */
const DROP_FRACTION = 0.45;
const PARTITION_COLOR = '#7f7f7f';
const CUT_COLOR = '#9467bd';
const RETURN_COLORS: Record<string, string> = { ok: '#2ca02c', fail: '#d62728', info: '#ff7f0e' };
/** How crash, pause and restart are marked on a lane: a red ✕, an orange square, a green ▷. */
const NODE_MARKS = {
  crash: { shape: 'cross', angleDeg: 45, color: CRASH_COLOR },
  pause: { shape: 'square', angleDeg: 0, color: PAUSE_COLOR },
  restart: { shape: 'triangle-right', angleDeg: 0, color: RESTART_COLOR },
};

/** An encoding that takes a colour or shape as written in the data (no scale, no legend). */
function fixed(field: string) {
  return { field, type: 'nominal', scale: null };
}

/**
 * A space-time (Lamport) diagram of a trace: one vertical lane per node, time flowing down,
 * an arrow per message from (sender, sent) to (receiver, delivered). Dropped messages are
 * dashed and end in an ✕ at the drop (at the receiver when it was down, halfway when the
 * network lost it); messages still in flight at the end run dotted to the bottom edge.
 * A crash is a red ✕ with the node's down time shaded red until its restart; a pause is
 * shaded orange. Partitions and cuts are grey bands across the diagram, labelled, until the
 * heal. Client operations are blue bars beside their lane from invoke (▷) to return (●:
 * green ok, red fail, orange unknown); annotations are small grey notes beside the lane.
 *
 * Lamport 1978, §2: event a happened before b iff a path leads from a to b going down lanes
 * and along arrows. Concurrent events are those with no such path either way.
 *
 * Reads well up to about 8 nodes and 150 messages; narrow the window for longer runs.
 * An empty trace gives an empty diagram with a note.
 *
 * @example
 *   import { chart, spaceTimeDiagram } from 'consensus-lab/viz';
 *   sim.run({ untilMs: 2000 });
 *   chart(spaceTimeDiagram(sim.trace.events, { title: 'Raft election, seed 7', toMs: 600 }));
 */
export function spaceTimeDiagram(events: readonly TraceEvent[], options: SpaceTimeOptions = {}): VegaLiteSpec {
  if (!Array.isArray(events)) throw new ConfigError('spaceTimeDiagram events', 'an array of trace events (sim.trace.events)', events);
  const facts = spaceTimeFacts(events, options.nodes ?? []);
  const layout = layoutOf(facts, options);
  const { fromMs, toMs, windowFromMs, windowToMs } = layout;
  const lane = (node: NodeId) => facts.nodes.indexOf(node);

  const inWindow = facts.messages.filter((m) => m.sentMs <= windowToMs && m.endMs >= windowFromMs);
  const drawn = inWindow.slice(0, layout.maxMessages);
  const leftOut = inWindow.length - drawn.length;
  const showLabels = options.messageLabels ?? drawn.length <= 80;

  const delivered: Record<string, unknown>[] = [];
  const drops: Record<string, unknown>[] = [];
  const inFlight: Record<string, unknown>[] = [];
  const arrowHeads: Record<string, unknown>[] = [];
  const dropMarks: Record<string, unknown>[] = [];
  const messageLabels: Record<string, unknown>[] = [];
  const placedLabels: { xPx: number; yPx: number; widthPx: number }[] = [];
  // what the window holds is drawn; lines crossing the axis ends are clipped there, and the
  // ends of lines (heads, labels) beyond them are left out
  const inside = (timeMs: number) => timeMs >= fromMs && timeMs <= toMs;
  const visible = (fromTime: number, toTime: number) => fromTime <= windowToMs && toTime >= windowFromMs;

  for (const message of drawn) {
    const x = lane(message.from);
    const target = lane(message.to);
    const row = messageRow(message, x, target, toMs);
    if (message.outcome === 'delivered') {
      delivered.push(row);
      if (inside(row.endMs)) arrowHeads.push({ ...headOf(layout, row), type: message.type, msgId: message.msgId });
    } else if (message.outcome === 'dropped') {
      drops.push(row);
      if (inside(row.endMs)) dropMarks.push({ x: row.x2, timeMs: row.endMs, type: message.type, msgId: message.msgId, reason: message.reason });
    } else {
      inFlight.push(row);
    }
    if (showLabels) {
      const label = labelOf(layout, row, message.type, placedLabels);
      if (label && inside(label.timeMs)) messageLabels.push(label);
    }
  }

  const outages = facts.outages
    .filter((o) => visible(o.fromMs, o.toMs))
    .map((o) => ({
      x: lane(o.node) - 0.2, x2: lane(o.node) + 0.2, timeMs: o.fromMs, endMs: o.ended ? o.toMs : toMs,
      kind: o.kind, node: o.node, ended: o.ended, color: o.kind === 'crash' ? CRASH_COLOR : PAUSE_COLOR,
    }));
  const mark = (node: NodeId, timeMs: number, text: 'crash' | 'pause' | 'restart') => ({ x: lane(node), timeMs, node, text, ...NODE_MARKS[text] });
  const crashes = facts.outages.filter((o) => o.kind === 'crash').map((o) => mark(o.node, o.fromMs, 'crash'));
  const pauses = facts.outages.filter((o) => o.kind === 'pause').map((o) => mark(o.node, o.fromMs, 'pause'));
  const restarts = facts.restarts.map((r) => mark(r.node, r.timeMs, 'restart'));
  const nodeMarks = [...crashes, ...pauses, ...restarts].filter((m) => visible(m.timeMs, m.timeMs));

  const rowMs = 13 * layout.msPerPx; // one text line, in ms
  const splits = facts.splits.filter((s) => visible(s.fromMs, s.toMs));
  const splitBands = splits.map((s) => ({
    x: -0.5, x2: layout.laneCount - 0.5, timeMs: s.fromMs, endMs: s.ended ? s.toMs : toMs,
    kind: s.kind, label: s.label, color: s.kind === 'partition' ? PARTITION_COLOR : CUT_COLOR,
  }));
  const splitLabels = splits.map((s, i) => {
    const stacked = splits.filter((o, j) => j < i && Math.abs(o.fromMs - s.fromMs) < rowMs * 2).length;
    return { x: -0.5, timeMs: Math.max(s.fromMs, fromMs) + stacked * rowMs, text: s.label, kind: s.kind };
  });

  const operations = facts.operations
    .filter((o) => visible(o.invokeMs, o.returnMs ?? toMs))
    .map((o) => ({
      x: lane(o.node) - 0.09,
      x2: lane(o.node) - 0.05,
      timeMs: o.invokeMs,
      endMs: o.returnMs ?? toMs,
      node: o.node,
      opId: o.opId,
      process: o.process,
      f: o.f,
      value: shortText(o.value),
      type: o.type ?? 'open',
    }));
  const invokes = operations.filter((o) => inside(o.timeMs)).map((o) => ({ x: o.x, timeMs: o.timeMs, text: `${o.process} ${o.f} ${o.value}`.trim(), opId: o.opId }));
  const returns = facts.operations
    .filter((o) => o.returnMs !== undefined && visible(o.returnMs, o.returnMs))
    .map((o) => ({ x: lane(o.node) - 0.07, timeMs: o.returnMs as number, text: `${o.type} ${shortText(o.returnValue)}`.trim(), type: o.type, color: RETURN_COLORS[o.type as string], opId: o.opId }));
  const annotations = facts.annotations
    .filter((a) => visible(a.timeMs, a.timeMs))
    .map((a) => ({ x: lane(a.node) + 0.05, timeMs: a.timeMs, text: a.text, node: a.node }));
  const lanes = facts.nodes.map((node, i) => ({ x: i, timeMs: fromMs, endMs: toMs, node }));
  const note =
    facts.nodes.length === 0
      ? [{ x: 0, timeMs: (fromMs + toMs) / 2, text: 'no events in this trace' }]
      : inWindow.length === 0
        ? [{ x: (layout.laneCount - 1) / 2, timeMs: (fromMs + toMs) / 2, text: 'no messages in this window' }]
        : [];

  const types = [...new Set(drawn.map((m) => m.type))].sort();
  const counts = countOutcomes(inWindow);
  const subtitle: string[] = [];
  if (options.subtitle) subtitle.push(options.subtitle);
  const countLine =
    `${inWindow.length} messages: ${counts.delivered} delivered, ${counts.dropped} dropped, ${counts.inFlight} in flight` +
    (leftOut > 0 ? `; first ${drawn.length} drawn, ${leftOut} left out` : '') +
    `; ${formatNumber(windowFromMs)}–${formatNumber(windowToMs)} ms`;
  subtitle.push(facts.nodes.length === 0 ? 'no events' : countLine);
  subtitle.push('solid: delivered · dashed ✕: dropped · dotted: in flight · red: crashed · orange: paused · grey band: partition');

  const datasets = {
    splitBands, splitLabels, lanes, outages, operations, delivered, drops, inFlight, arrowHeads, dropMarks,
    messageLabels, nodeMarks, invokes, returns, annotations, note,
  };
  const typeColor = {
    field: 'type',
    type: 'nominal',
    title: 'message',
    scale: { domain: types, range: MESSAGE_COLORS },
    legend: types.length > 0 ? { orient: 'bottom', direction: 'horizontal', columns: 6, symbolType: 'stroke' } : null,
  };
  const text = (extra: Record<string, unknown>) => ({ type: 'text', clip: true, fontSize: 10, ...extra });
  const layerNames = new Map<string, number>();
  const layer = (data: keyof typeof datasets, mark: Record<string, unknown>, encoding: Record<string, unknown> = {}) => {
    const seen = layerNames.get(data) ?? 0;
    layerNames.set(data, seen + 1);
    return { name: seen === 0 ? data : `${data}_${seen + 1}`, data: { name: data }, mark, encoding };
  };
  /** A text layer drawn twice: a white outline first, so the text reads over the lines under it. */
  const haloed = (data: keyof typeof datasets, mark: Record<string, unknown>, encoding: Record<string, unknown> = {}) => [
    layer(data, { ...mark, color: 'white', stroke: 'white', strokeWidth: 5, strokeJoin: 'round', opacity: 0.9 }, { text: { field: 'text' } }),
    layer(data, mark, { text: { field: 'text' }, ...encoding }),
  ];

  return withChartDefaults({
    title: titleBlock(options.title ?? 'Space-time diagram', subtitle),
    description: describeDiagram(facts, inWindow, counts, leftOut, windowFromMs, windowToMs),
    width: layout.widthPx,
    height: layout.heightPx,
    datasets,
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: { domain: [-0.5, layout.laneCount - 0.5], nice: false, zero: false },
        axis: {
          orient: 'top',
          title: null,
          values: facts.nodes.map((_, i) => i),
          labelExpr: `${JSON.stringify(facts.nodes)}[datum.value]`,
          labelFontSize: 12,
          labelFontWeight: 'bold',
          labelColor: '#222222',
          grid: false,
          ticks: false,
          domain: false,
          labelPadding: 6,
        },
      },
      y: {
        field: 'timeMs',
        type: 'quantitative',
        scale: { domain: [fromMs, toMs], reverse: true, nice: false, zero: false },
        axis: { title: 'virtual time (ms)', grid: true, gridColor: '#eeeeee', tickCount: Math.max(4, Math.round(layout.heightPx / 60)) },
      },
    },
    layer: [
      layer('splitBands', { type: 'rect', clip: true, opacity: 0.13 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, fill: fixed('color') }),
      ...haloed('splitLabels', text({ align: 'left', baseline: 'top', dx: 4, dy: 2, fontStyle: 'italic', color: '#444444' })),
      layer('lanes', { type: 'rule', color: '#9a9a9a', strokeWidth: 1.5 }, { y2: { field: 'endMs' } }),
      layer('outages', { type: 'rect', clip: true, opacity: 0.18 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, fill: fixed('color') }),
      layer('operations', { type: 'rect', clip: true, color: CLIENT_COLOR, opacity: 0.45 }, { x2: { field: 'x2' }, y2: { field: 'endMs' } }),
      layer('delivered', { type: 'rule', clip: true, strokeWidth: 1.4 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor }),
      layer('drops', { type: 'rule', clip: true, strokeWidth: 1.4, strokeDash: [5, 3] }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor }),
      layer('inFlight', { type: 'rule', clip: true, strokeWidth: 1.4, strokeDash: [1, 3], opacity: 0.8 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor }),
      ...haloed('messageLabels', text({ fontSize: 9, color: '#333333' })),
      layer('arrowHeads', { type: 'point', clip: true, shape: 'triangle-up', filled: true, size: 55, opacity: 1 }, {
        angle: { field: 'angleDeg', type: 'quantitative', scale: null }, color: typeColor,
      }),
      layer('dropMarks', { type: 'point', clip: true, shape: 'cross', angle: 45, filled: true, size: 70, opacity: 1 }, { color: typeColor }),
      layer('invokes', { type: 'point', clip: true, shape: 'triangle-right', filled: false, size: 45, color: CLIENT_COLOR, strokeWidth: 1.5 }),
      ...haloed('invokes', text({ align: 'right', dx: -8, fontSize: 9, color: CLIENT_COLOR, limit: 120 })),
      layer('returns', { type: 'point', clip: true, shape: 'circle', filled: true, size: 45, opacity: 1 }, { color: fixed('color') }),
      ...haloed('returns', text({ align: 'right', dx: -8, fontSize: 9, limit: 120 }), { color: fixed('color') }),
      layer('nodeMarks', { type: 'point', clip: true, filled: true, size: 170, opacity: 1 }, {
        angle: { field: 'angleDeg', type: 'quantitative', scale: null },
        shape: fixed('shape'),
        color: fixed('color'),
      }),
      ...haloed('nodeMarks', text({ align: 'left', dx: 9, fontWeight: 'bold' }), { color: fixed('color') }),
      ...haloed('annotations', text({ align: 'left', dx: 4, fontSize: 9, fontStyle: 'italic', color: '#555555', limit: layout.laneWidthPx * 0.8 })),
      layer('note', text({ fontSize: 13, color: '#777777' }), { text: { field: 'text' } }),
    ],
  });
}

interface Layout {
  /** The time axis: the window with a little room at both ends, so marks there are not cut in half. */
  fromMs: number;
  toMs: number;
  /** The window asked for (default: the whole trace). */
  windowFromMs: number;
  windowToMs: number;
  laneCount: number;
  widthPx: number;
  heightPx: number;
  laneWidthPx: number;
  msPerPx: number;
  maxMessages: number;
}

function layoutOf(facts: SpaceTimeFacts, options: SpaceTimeOptions): Layout {
  const empty = facts.nodes.length === 0;
  const windowFromMs = options.fromMs ?? (empty ? 0 : facts.firstMs);
  const windowToMs = options.toMs ?? (empty ? 100 : Math.max(facts.lastMs, windowFromMs + 1));
  if (!Number.isFinite(windowFromMs) || !Number.isFinite(windowToMs) || !(windowFromMs < windowToMs)) {
    throw new ConfigError('spaceTimeDiagram fromMs/toMs', 'finite times with fromMs < toMs', { fromMs: windowFromMs, toMs: windowToMs });
  }
  const padMs = (windowToMs - windowFromMs) * 0.03;
  const fromMs = windowFromMs - padMs;
  const toMs = windowToMs + padMs;
  const maxMessages = options.maxMessages ?? 150;
  if (!Number.isInteger(maxMessages) || maxMessages < 0) throw new ConfigError('spaceTimeDiagram maxMessages', 'an integer >= 0', maxMessages);
  const laneCount = Math.max(1, facts.nodes.length);
  const messageCount = Math.min(maxMessages, facts.messages.filter((m) => m.sentMs <= windowToMs && m.endMs >= windowFromMs).length);
  const widthPx = options.widthPx ?? Math.min(1050, Math.max(360, 150 * laneCount));
  const heightPx = options.heightPx ?? Math.min(1600, Math.max(320, 140 + 12 * messageCount));
  return { fromMs, toMs, windowFromMs, windowToMs, laneCount, widthPx, heightPx, laneWidthPx: widthPx / laneCount, msPerPx: (toMs - fromMs) / heightPx, maxMessages };
}

/** A message as a line: from its sender lane at the send to where it ended. */
function messageRow(message: MessageFact, x: number, target: number, toMs: number) {
  let x2 = target;
  let endMs = message.endMs;
  if (message.outcome === 'dropped' && message.reason !== 'crashed' && message.reason !== 'unknown-node') x2 = x + (target - x) * DROP_FRACTION;
  if (message.outcome === 'in flight') endMs = toMs;
  return {
    x, x2, timeMs: message.sentMs, endMs, type: message.type, from: message.from, to: message.to,
    msgId: message.msgId, outcome: message.outcome, ...(message.reason ? { reason: message.reason } : {}),
  };
}

function toPx(layout: Layout, x: number, timeMs: number): [number, number] {
  return [(x + 0.5) * layout.laneWidthPx, (timeMs - layout.fromMs) / layout.msPerPx];
}

/** The arrowhead of a delivered message: a triangle just short of the receiver, turned along the line. */
function headOf(layout: Layout, row: { x: number; x2: number; timeMs: number; endMs: number }) {
  const [x1, y1] = toPx(layout, row.x, row.timeMs);
  const [x2, y2] = toPx(layout, row.x2, row.endMs);
  const dx = x2 - x1;
  const dy = y2 - y1;
  const length = Math.hypot(dx, dy) || 1;
  const back = Math.min(4, length / 2);
  const headX = x2 - (dx / length) * back;
  const headY = y2 - (dy / length) * back;
  // 'triangle-up' points up at angle 0; vega turns it clockwise by angleDeg
  const angleDeg = round((Math.atan2(dx, -dy) * 180) / Math.PI, 2);
  return { x: round(headX / layout.laneWidthPx - 0.5, 6), timeMs: round(layout.fromMs + headY * layout.msPerPx, 6), angleDeg };
}

/** A message's label at the middle of its line, unless it would overlap one already placed. */
function labelOf(
  layout: Layout,
  row: { x: number; x2: number; timeMs: number; endMs: number; msgId: number },
  type: string,
  placed: { xPx: number; yPx: number; widthPx: number }[],
) {
  const x = (row.x + row.x2) / 2;
  const timeMs = (row.timeMs + row.endMs) / 2;
  const [xPx, yPx] = toPx(layout, x, timeMs);
  const widthPx = textWidthPx(type, 9, false);
  const overlaps = placed.some((p) => Math.abs(p.yPx - yPx) < 10 && Math.abs(p.xPx - xPx) < (p.widthPx + widthPx) / 2 + 4);
  if (overlaps) return null;
  placed.push({ xPx, yPx, widthPx });
  return { x, timeMs, text: type, msgId: row.msgId };
}

function countOutcomes(messages: readonly MessageFact[]) {
  return {
    delivered: messages.filter((m) => m.outcome === 'delivered').length,
    dropped: messages.filter((m) => m.outcome === 'dropped').length,
    inFlight: messages.filter((m) => m.outcome === 'in flight').length,
  };
}

function describeDiagram(
  facts: SpaceTimeFacts,
  inWindow: readonly MessageFact[],
  counts: { delivered: number; dropped: number; inFlight: number },
  leftOut: number,
  fromMs: number,
  toMs: number,
): string {
  if (facts.nodes.length === 0) return 'Space-time diagram: no events in this trace.';
  const lines = [
    `Space-time diagram of ${facts.nodes.length} nodes (${facts.nodes.join(', ')}), ${formatNumber(fromMs)}–${formatNumber(toMs)} ms:`,
    `  ${inWindow.length} messages: ${counts.delivered} delivered, ${counts.dropped} dropped, ${counts.inFlight} in flight` +
      (leftOut > 0 ? ` (${leftOut} not drawn)` : ''),
  ];
  const byType = new Map<string, number>();
  for (const m of inWindow) byType.set(m.type, (byType.get(m.type) ?? 0) + 1);
  if (byType.size > 0) lines.push(`  by type: ${[...byType].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([t, n]) => `${t} ${n}`).join(', ')}`);
  for (const o of facts.outages) {
    lines.push(`  ${o.node} ${o.kind === 'crash' ? 'crashed' : 'paused'} at ${formatNumber(o.fromMs)} ms` + (o.ended ? `, back at ${formatNumber(o.toMs)} ms` : ', not back by the end'));
  }
  for (const s of facts.splits) lines.push(`  ${s.label} from ${formatNumber(s.fromMs)} ms` + (s.ended ? ` to ${formatNumber(s.toMs)} ms` : ' to the end'));
  if (facts.operations.length > 0) {
    const done = facts.operations.filter((o) => o.returnMs !== undefined).length;
    lines.push(`  ${facts.operations.length} client operations, ${done} returned`);
  }
  if (facts.annotations.length > 0) lines.push(`  ${facts.annotations.length} annotations`);
  return lines.join('\n');
}

function shortText(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 16 ? text.slice(0, 15) + '…' : text;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
