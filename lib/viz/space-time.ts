import { ConfigError, NodeId, TraceEvent } from '../core';
import { SpaceTimeFacts, spaceTimeFacts, MessageFact } from './space-time-data';
import { VegaLiteSpec, titleBlock, withChartDefaults } from './spec';
import { formatNumber } from './summary';
import { textWidthPx } from './text-width';
import { Box, TextSpace, fitText, lineHeightPx, packLines, textBox } from './label-layout';

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
  /**
   * Write each message's type on its arrow where it overlaps no other text (default true): in
   * a dense burst some arrows go unlabelled, but each type gets a label if any spot is free.
   */
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

/** The tooltip of a mark: the full text, written into each datum as `tip`. */
const TIP = { field: 'tip', type: 'nominal' };
/** Font sizes of annotations and message labels, and of partition and cut labels. */
const NOTE_FONT_PX = 9;
const SPLIT_FONT_PX = 10;
/** Annotations at one node within one text line of each other share a label of at most this many lines. */
const NOTE_MAX_LINES = 3;
/** How far down (in text lines) a partition label may move to get out of the way of text placed before it. */
const MAX_SHIFT_LINES = 4;
/**
 * Where a note may move (in text lines, + is down, in order of preference) when text placed
 * before is in the way: down a little, up a little, then further down.
 */
const NOTE_SHIFTS = [0, 0.5, -0.5, 1, -1, 1.5, 2, 2.5, 3, 3.5, 4];
/** Where along its arrow a message label may sit, in order of preference (0 at the sender). */
/** Room right of the last lane for its notes, in lanes, beyond the usual half lane. */
const RIGHT_MARGIN_LANES = 0.4;
const LABEL_FRACTIONS = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];

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
  const showLabels = options.messageLabels ?? true;

  const delivered: Record<string, unknown>[] = [];
  const drops: Record<string, unknown>[] = [];
  const inFlight: Record<string, unknown>[] = [];
  const arrowHeads: Record<string, unknown>[] = [];
  const dropMarks: Record<string, unknown>[] = [];
  const messageRows: MessageRow[] = [];
  // what the window holds is drawn; lines crossing the axis ends are clipped there, and the
  // ends of lines (heads, labels) beyond them are left out
  const inside = (timeMs: number) => timeMs >= fromMs && timeMs <= toMs;
  const visible = (fromTime: number, toTime: number) => fromTime <= windowToMs && toTime >= windowFromMs;

  for (const message of drawn) {
    const x = lane(message.from);
    const target = lane(message.to);
    const row = messageRow(message, x, target, toMs);
    messageRows.push(row);
    if (message.outcome === 'delivered') {
      delivered.push(row);
      if (inside(row.endMs)) arrowHeads.push({ ...headOf(layout, row), type: message.type, msgId: message.msgId, tip: row.tip });
    } else if (message.outcome === 'dropped') {
      drops.push(row);
      if (inside(row.endMs)) dropMarks.push({ x: row.x2, timeMs: row.endMs, type: message.type, msgId: message.msgId, reason: message.reason, tip: row.tip });
    } else {
      inFlight.push(row);
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

  const splits = facts.splits.filter((s) => visible(s.fromMs, s.toMs));
  const splitBands = splits.map((s) => ({
    x: -0.5, x2: layout.xMax, timeMs: s.fromMs, endMs: s.ended ? s.toMs : toMs,
    kind: s.kind, label: s.label, color: s.kind === 'partition' ? PARTITION_COLOR : CUT_COLOR,
  }));

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

  // Text is placed in order of importance, each piece where it overlaps none placed before:
  // node marks and client operations stay where they are, annotations at a node that fall
  // within a line of each other share one label (moved down a line or two if something is
  // in the way), partition labels take the first free spot along the band's top edge, and
  // message labels go last, skipping a message when no spot on its arrow is free.
  const space = new TextSpace();
  for (const m of nodeMarks) {
    const [xPx, yPx] = toPx(layout, m.x, m.timeMs);
    space.add({ x0: xPx - 7, x1: xPx + 7, y0: yPx - 7, y1: yPx + 7 });
    space.add(textBox(xPx + 9, yPx, m.text, 10, 'left', true));
  }
  for (const o of [...invokes, ...returns]) {
    const [xPx, yPx] = toPx(layout, o.x, o.timeMs);
    space.add({ x0: xPx - 4, x1: xPx + 4, y0: yPx - 4, y1: yPx + 4 });
    space.add(textBox(xPx - 8, yPx, fitText(o.text, 120, 9), 9, 'right'));
  }
  const annotations = annotationLabels(
    layout,
    facts.annotations.filter((a) => visible(a.timeMs, a.timeMs)),
    facts.nodes,
    space,
  );
  const splitLabels = splits.map((s) => splitLabel(layout, s, space));
  // message labels keep off the arrowheads and drop marks too
  for (const m of [...arrowHeads, ...dropMarks]) {
    const [xPx, yPx] = toPx(layout, m.x as number, m.timeMs as number);
    space.add({ x0: xPx - 5, x1: xPx + 5, y0: yPx - 5, y1: yPx + 5 });
  }
  const messageLabels = showLabels ? messageLabelsOf(layout, messageRows, space) : [];
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
        scale: { domain: [-0.5, layout.xMax], nice: false, zero: false },
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
      ...haloed('splitLabels', text({ align: 'left', fontStyle: 'italic', color: '#444444' }), { tooltip: TIP }),
      layer('lanes', { type: 'rule', color: '#9a9a9a', strokeWidth: 1.5 }, { y2: { field: 'endMs' } }),
      layer('outages', { type: 'rect', clip: true, opacity: 0.18 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, fill: fixed('color') }),
      layer('operations', { type: 'rect', clip: true, color: CLIENT_COLOR, opacity: 0.45 }, { x2: { field: 'x2' }, y2: { field: 'endMs' } }),
      layer('delivered', { type: 'rule', clip: true, strokeWidth: 1.4 }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor, tooltip: TIP }),
      layer('drops', { type: 'rule', clip: true, strokeWidth: 1.4, strokeDash: [5, 3] }, { x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor, tooltip: TIP }),
      layer('inFlight', { type: 'rule', clip: true, strokeWidth: 1.4, strokeDash: [1, 3], opacity: 0.8 }, {
        x2: { field: 'x2' }, y2: { field: 'endMs' }, color: typeColor, tooltip: TIP,
      }),
      ...haloed('messageLabels', text({ fontSize: 9, color: '#333333' }), { tooltip: TIP }),
      layer('arrowHeads', { type: 'point', clip: true, shape: 'triangle-up', filled: true, size: 55, opacity: 1 }, {
        angle: { field: 'angleDeg', type: 'quantitative', scale: null }, color: typeColor, tooltip: TIP,
      }),
      layer('dropMarks', { type: 'point', clip: true, shape: 'cross', angle: 45, filled: true, size: 70, opacity: 1 }, { color: typeColor, tooltip: TIP }),
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
      ...haloed('annotations', text({ align: 'left', fontSize: 9, fontStyle: 'italic', color: '#555555', limit: layout.laneWidthPx }), { tooltip: TIP }),
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
  /** The right end of the x scale: half a lane past the last lane, more when its notes need room. */
  xMax: number;
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
  // the last lane's notes get a margin of their own right of it, not the half lane to the edge
  const lastNode = facts.nodes[facts.nodes.length - 1];
  const rightPad = facts.annotations.some((a) => a.node === lastNode && a.timeMs >= windowFromMs && a.timeMs <= windowToMs) ? RIGHT_MARGIN_LANES : 0;
  const xMax = laneCount - 0.5 + rightPad;
  const widthPx = options.widthPx ?? Math.min(1050, Math.max(360, 150 * (laneCount + rightPad)));
  // 12 px a message, or 14 px a distinct event time (a text line each) if that is more, so
  // that a protocol's bursts of messages and notes get room
  const heightPx = options.heightPx ?? Math.min(1600, Math.max(320, 140 + 12 * messageCount, 140 + 14 * distinctTimes(facts, windowFromMs, windowToMs)));
  return { fromMs, toMs, windowFromMs, windowToMs, laneCount, xMax, widthPx, heightPx, laneWidthPx: widthPx / (xMax + 0.5), msPerPx: (toMs - fromMs) / heightPx, maxMessages };
}

/** How many different times (to 0.01 ms) in the window something drawn happens at. */
function distinctTimes(facts: SpaceTimeFacts, fromMs: number, toMs: number): number {
  const times = new Set<number>();
  const add = (timeMs: number) => {
    if (timeMs >= fromMs && timeMs <= toMs) times.add(Math.round(timeMs * 100));
  };
  for (const m of facts.messages) {
    add(m.sentMs);
    if (m.outcome !== 'in flight') add(m.endMs);
  }
  for (const a of facts.annotations) add(a.timeMs);
  for (const o of facts.outages) add(o.fromMs);
  for (const r of facts.restarts) add(r.timeMs);
  for (const s of facts.splits) add(s.fromMs);
  return times.size;
}

/** A message as a line: from its sender lane at the send to where it ended. */
function messageRow(message: MessageFact, x: number, target: number, toMs: number) {
  let x2 = target;
  let endMs = message.endMs;
  if (message.outcome === 'dropped' && message.reason !== 'crashed' && message.reason !== 'unknown-node') x2 = x + (target - x) * DROP_FRACTION;
  if (message.outcome === 'in flight') endMs = toMs;
  const ending =
    message.outcome === 'in flight'
      ? 'still in flight at the end'
      : `${message.outcome} ${formatNumber(message.endMs)} ms` + (message.reason ? ` (${message.reason})` : '');
  const tip = `${message.type} ${message.from} → ${message.to}, #${message.msgId}: sent ${formatNumber(message.sentMs)} ms, ${ending}`;
  return {
    x, x2, timeMs: message.sentMs, endMs, type: message.type, from: message.from, to: message.to,
    msgId: message.msgId, outcome: message.outcome, ...(message.reason ? { reason: message.reason } : {}), tip,
  };
}

type MessageRow = ReturnType<typeof messageRow>;

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

/** Plot pixels back to a time on the axis. */
function timeAt(layout: Layout, yPx: number): number {
  return round(layout.fromMs + yPx * layout.msPerPx, 6);
}

/** The lane coordinate (x scale) of a pixel column. */
function laneAt(layout: Layout, xPx: number): number {
  return round(xPx / layout.laneWidthPx - 0.5, 6);
}

/**
 * The annotations as labels: those at one node within one text line of the first of them
 * share one label ('lock acquired · vote'; a text repeated is counted, 'timeout ×2'), wrapped
 * onto up to three lines beside the lane and cut with '…' beyond that; the tooltip keeps every
 * text and time. A label sits right of its lane (the last lane has a margin for them), at
 * the time of its first annotation, or moved (in half-line steps, at most a line up or four
 * down) as little as keeps it clear of text placed before.
 */
function annotationLabels(
  layout: Layout,
  notes: readonly { node: NodeId; timeMs: number; text: string }[],
  nodes: readonly NodeId[],
  space: TextSpace,
): Record<string, unknown>[] {
  const line = lineHeightPx(NOTE_FONT_PX);
  const lineMs = line * layout.msPerPx;
  const clusters: { node: NodeId; lane: number; timeMs: number; notes: { timeMs: number; text: string }[] }[] = [];
  nodes.forEach((node, lane) => {
    const own = notes
      .map((note, index) => ({ ...note, index }))
      .filter((note) => note.node === node)
      .sort((a, b) => a.timeMs - b.timeMs || a.index - b.index);
    for (const note of own) {
      const last = clusters[clusters.length - 1];
      if (last && last.node === node && note.timeMs - last.timeMs < lineMs) last.notes.push(note);
      else clusters.push({ node, lane, timeMs: note.timeMs, notes: [note] });
    }
  });
  clusters.sort((a, b) => a.timeMs - b.timeMs || a.lane - b.lane);

  const rows: Record<string, unknown>[] = [];
  for (const cluster of clusters) {
    const counts = new Map<string, number>();
    for (const note of cluster.notes) counts.set(note.text, (counts.get(note.text) ?? 0) + 1);
    const items = [...counts].map(([text, n]) => (n > 1 ? `${text} ×${n}` : text));
    const tip =
      `${cluster.node}, ${formatNumber(cluster.timeMs)} ms: ` +
      cluster.notes.map((n) => (n.timeMs === cluster.timeMs ? n.text : `${n.text} (${formatNumber(n.timeMs)} ms)`)).join(' · ');

    const roomLanes = cluster.lane === layout.laneCount - 1 ? layout.xMax - cluster.lane : 0.85;
    const lines = packLines(items, layout.laneWidthPx * roomLanes - 10, NOTE_FONT_PX, NOTE_MAX_LINES);
    const [lanePx, yPx] = toPx(layout, cluster.lane, cluster.timeMs);
    const candidateAt = (shift: number) => ({ boxes: lines.map((text, i) => textBox(lanePx + 4, yPx + (shift + i) * line, text, NOTE_FONT_PX, 'left')) });
    const candidates = NOTE_SHIFTS.map(candidateAt).filter((c, i) => i === 0 || (c.boxes[0].y0 >= 0 && c.boxes[c.boxes.length - 1].y1 <= layout.heightPx));
    let chosen = space.placeFirst(candidates);
    if (!chosen) {
      chosen = candidates[0];
      chosen.boxes.forEach((box) => space.add(box));
    }
    chosen.boxes.forEach((box, i) => {
      rows.push({
        x: laneAt(layout, box.x0), timeMs: timeAt(layout, (box.y0 + box.y1) / 2), text: lines[i], node: cluster.node, atMs: cluster.timeMs, tip,
      });
    });
  }
  return rows;
}

/**
 * The label of a partition or cut: at the top right of its band, or as little lower as keeps
 * it clear of text placed before; failing that at the left edge, then between two lanes.
 */
function splitLabel(layout: Layout, split: { fromMs: number; toMs: number; ended: boolean; label: string; kind: string }, space: TextSpace) {
  const line = lineHeightPx(SPLIT_FONT_PX);
  const topPx = (Math.max(split.fromMs, layout.fromMs) - layout.fromMs) / layout.msPerPx + line / 2 + 1;
  const bottomPx = Math.min(layout.heightPx, ((split.ended ? split.toMs : layout.toMs) - layout.fromMs) / layout.msPerPx) - line / 2;
  const widthPx = textWidthPx(split.label, SPLIT_FONT_PX, false);
  const starts = [layout.widthPx - 6 - widthPx, 6];
  for (let gap = 0; gap + 1 < layout.laneCount; gap++) starts.push((gap + 1) * layout.laneWidthPx - widthPx / 2);
  const candidates: { boxes: Box[] }[] = [];
  for (const x0 of starts) {
    if (x0 < 2 || x0 + widthPx > layout.widthPx - 2) continue;
    for (let shift = 0; shift <= 2 * MAX_SHIFT_LINES; shift++) {
      const yPx = topPx + (shift * line) / 2;
      if (shift > 0 && yPx > bottomPx) break;
      candidates.push({ boxes: [textBox(x0, yPx, split.label, SPLIT_FONT_PX, 'left')] });
    }
  }
  let chosen = space.placeFirst(candidates);
  if (!chosen) {
    chosen = candidates[0] ?? { boxes: [textBox(2, topPx, split.label, SPLIT_FONT_PX, 'left')] };
    chosen.boxes.forEach((box) => space.add(box));
  }
  const box = chosen.boxes[0];
  const until = split.ended ? ` to ${formatNumber(split.toMs)} ms` : ' to the end';
  return { x: laneAt(layout, box.x0), timeMs: timeAt(layout, (box.y0 + box.y1) / 2), text: split.label, kind: split.kind, tip: `${split.label} from ${formatNumber(split.fromMs)} ms${until}` };
}

/**
 * Message labels (the type), placed greedily where they overlap no text placed before and
 * cross no lane: messages go in bursts (sent within three text lines of the one before);
 * in each burst one message of every type is labelled first if any spot on its arrow is
 * free, then the others in order of sending. Each arrow keeps its tooltip either way.
 */
function messageLabelsOf(layout: Layout, rows: readonly MessageRow[], space: TextSpace): Record<string, unknown>[] {
  const gapMs = 3 * lineHeightPx(NOTE_FONT_PX) * layout.msPerPx;
  const bursts: MessageRow[][] = [];
  for (const row of [...rows].sort((a, b) => a.timeMs - b.timeMs || a.msgId - b.msgId)) {
    const last = bursts[bursts.length - 1];
    if (last && row.timeMs - last[last.length - 1].timeMs <= gapMs) last.push(row);
    else bursts.push([row]);
  }
  const lanePx = Array.from({ length: layout.laneCount }, (_, i) => (i + 0.5) * layout.laneWidthPx);
  const labels: Record<string, unknown>[] = [];
  const tryLabel = (row: MessageRow): boolean => {
    const candidates: { boxes: Box[]; x: number; timeMs: number }[] = [];
    for (const f of LABEL_FRACTIONS) {
      const x = row.x + (row.x2 - row.x) * f;
      const timeMs = row.timeMs + (row.endMs - row.timeMs) * f;
      const [xPx, yPx] = toPx(layout, x, timeMs);
      const box = textBox(xPx, yPx, row.type, NOTE_FONT_PX, 'center');
      if (box.y0 < 0 || box.y1 > layout.heightPx || timeMs < layout.fromMs || timeMs > layout.toMs) continue;
      if (lanePx.some((l) => box.x0 - 3 < l && l < box.x1 + 3)) continue;
      candidates.push({ boxes: [box], x: round(x, 6), timeMs: round(timeMs, 6) });
    }
    const chosen = space.placeFirst(candidates);
    if (chosen) labels.push({ x: chosen.x, timeMs: chosen.timeMs, text: row.type, msgId: row.msgId, tip: row.tip });
    return chosen !== null;
  };
  for (const burst of bursts) {
    const labelled = new Set<number>();
    const types = [...new Set(burst.map((r) => r.type))];
    for (const type of types) {
      const row = burst.find((r) => r.type === type && tryLabel(r));
      if (row) labelled.add(row.msgId);
    }
    for (const row of burst) if (!labelled.has(row.msgId)) tryLabel(row);
  }
  return labels.sort((a, b) => (a.timeMs as number) - (b.timeMs as number) || (a.msgId as number) - (b.msgId as number));
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
