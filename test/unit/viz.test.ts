import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ConfigError, TraceEvent } from '../../lib/core';
import {
  DisplayBundle,
  HTML_MIME,
  PLOTLY_MIME,
  PNG_MIME,
  TEXT_MIME,
  VEGA_LITE_MIME,
  VegaLiteSpec,
  barChart,
  bundleFor,
  cdfChart,
  compileChart,
  empiricalCdf,
  lineChart,
  plotlyBundle,
  progress,
  renderPng,
  renderSvg,
  safeForResvg,
  scatterChart,
  show,
  spaceTimeDiagram,
  spaceTimeFacts,
  tableBundle,
  textWidthPx,
} from '../../lib/viz';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The top-left pixel of a PNG (RGBA): whatever the row filter, the first pixel is stored as is. */
function firstPixel(png: Buffer): number[] {
  let offset = 8;
  const idat: Buffer[] = [];
  let colorType = -1;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') colorType = data[9];
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.equal(colorType, 6, 'resvg writes RGBA');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  return [...raw.subarray(1, 5)];
}

function datasetsOf(spec: VegaLiteSpec): Record<string, Record<string, unknown>[]> {
  return spec.datasets as Record<string, Record<string, unknown>[]>;
}

const rows = [
  { timeoutMs: 100, downtimeMs: 240, protocol: '2PC' },
  { timeoutMs: 200, downtimeMs: 450, protocol: '2PC' },
  { timeoutMs: 100, downtimeMs: 130, protocol: '3PC' },
  { timeoutMs: 200, downtimeMs: 260, protocol: '3PC' },
];

function sampleLine(): VegaLiteSpec {
  return lineChart({
    title: 'Coordinator downtime grows with the timeout',
    xTitle: 'failure-detector timeout (ms)',
    yTitle: 'coordinator downtime (ms)',
    rows,
    x: 'timeoutMs',
    y: 'downtimeMs',
    series: 'protocol',
  });
}

/**
 * A hand-written trace with one of everything: a delivered message, a message lost by the
 * network, one dropped at a crashed node, a crash and restart, a partition and its heal, a
 * client operation, a note, and a message still in flight at the end.
 */
function handTrace(): TraceEvent[] {
  const ping = { type: 'Ping', n: 1 };
  return [
    { kind: 'start', timeMs: 0, node: 'a' },
    { kind: 'start', timeMs: 0, node: 'b' },
    { kind: 'start', timeMs: 0, node: 'c' },
    { kind: 'send', timeMs: 1, from: 'a', to: 'b', msgId: 1, msg: ping },
    { kind: 'deliver', timeMs: 4, from: 'a', to: 'b', msgId: 1, sentMs: 1, msg: ping },
    { kind: 'send', timeMs: 5, from: 'b', to: 'a', msgId: 2, msg: { type: 'Pong' } },
    { kind: 'drop', timeMs: 6, from: 'b', to: 'a', msgId: 2, sentMs: 5, reason: 'loss', msg: { type: 'Pong' } },
    { kind: 'invoke', timeMs: 7, node: 'a', opId: 1, process: 'client', f: 'write', value: 3 },
    { kind: 'crash', timeMs: 10, node: 'c' },
    { kind: 'send', timeMs: 11, from: 'a', to: 'c', msgId: 3, msg: ping },
    { kind: 'drop', timeMs: 13, from: 'a', to: 'c', msgId: 3, sentMs: 11, reason: 'crashed', msg: ping },
    { kind: 'return', timeMs: 14, node: 'a', opId: 1, process: 'client', type: 'ok', f: 'write', value: 3 },
    { kind: 'annotate', timeMs: 15, node: 'b', text: 'decided COMMIT' },
    { kind: 'network', timeMs: 20, change: 'partition', groups: [['a'], ['b', 'c']] },
    { kind: 'restart', timeMs: 25, node: 'c' },
    { kind: 'network', timeMs: 30, change: 'heal' },
    { kind: 'send', timeMs: 32, from: 'b', to: 'c', msgId: 4, msg: { type: 'Gossip' } },
    { kind: 'timer', timeMs: 35, node: 'a', timer: { type: 'Tick' } },
  ];
}

describe('viz', () => {
  describe('chart builders', () => {
    it('build specs that vega-lite compiles without warnings', () => {
      const specs: VegaLiteSpec[] = [
        sampleLine(),
        barChart({ title: 'Downtime by protocol', xTitle: 'timeout', yTitle: 'downtime (ms)', rows, x: 'timeoutMs', y: 'downtimeMs', group: 'protocol' }),
        scatterChart({ title: 'Each run', xTitle: 'timeout (ms)', yTitle: 'downtime (ms)', rows, x: 'timeoutMs', y: 'downtimeMs', series: 'protocol' }),
        cdfChart({ title: 'Latency', xTitle: 'commit latency (ms)', yTitle: 'commits at or below x (fraction)', samples: { a: [1, 2, 3], b: [2, 4] } }),
        spaceTimeDiagram(handTrace()),
      ];
      for (const spec of specs) {
        const compiled = compileChart(spec);
        assert.ok(compiled.vegaSpec, 'compiled to a vega spec');
        assert.deepEqual(compiled.warnings, [], `no warnings for ${JSON.stringify(spec.title)}`);
        assert.ok((spec.config as Record<string, unknown>).font, 'a font is configured');
      }
    });

    it('slant bar labels only when they would run into each other', () => {
      const axisOf = (spec: VegaLiteSpec) => ((spec.encoding as any)?.x ?? (spec.layer as any)?.[0]?.encoding?.x ?? (spec as any).encoding.x).axis;
      const short = barChart({ title: 't', xTitle: 'n', yTitle: 'count (count)', rows: [{ k: '1', v: 1 }, { k: '2', v: 2 }], x: 'k', y: 'v' });
      assert.equal(axisOf(short).labelAngle, 0);
      const many = Array.from({ length: 15 }, (_, i) => ({ k: `r${i % 4} PrePrepare`, v: i })).map((r, i) => ({ ...r, k: `${r.k} ${i}` }));
      const long = barChart({ title: 't', xTitle: 'receiver and message type', yTitle: 'count (count)', rows: many, x: 'k', y: 'v' });
      assert.equal(axisOf(long).labelAngle, -40);
      assert.deepEqual(compileChart(long).warnings, []);
    });

    it('refuse a missing axis title, naming the parameter', () => {
      const base = { title: 't', rows, x: 'timeoutMs' as const, y: 'downtimeMs' as const };
      // TypeScript already refuses these; a notebook cell in plain JavaScript would not
      const missingY = () => lineChart({ ...base, xTitle: 'timeout (ms)' } as unknown as Parameters<typeof lineChart>[0]);
      assert.throws(missingY, (e: unknown) => e instanceof ConfigError && /lineChart yTitle/.test(e.message) && /\(ms\)/.test(e.message));
      const missingX = () => barChart({ ...base, yTitle: 'downtime (ms)' } as unknown as Parameters<typeof barChart>[0]);
      assert.throws(missingX, /barChart xTitle must be/);
      assert.throws(() => scatterChart({ ...base, xTitle: '', yTitle: 'b (ms)' }), /scatterChart xTitle/);
      assert.throws(() => cdfChart({ title: 't', xTitle: 'latency (ms)', samples: [1] } as unknown as Parameters<typeof cdfChart>[0]), /cdfChart yTitle/);
      assert.throws(() => lineChart({ ...base, title: '', xTitle: 'a (ms)', yTitle: 'b (ms)' }), /lineChart title/);
    });

    it('refuse a quantitative axis title without its unit, and an unknown field', () => {
      const base = { title: 't', rows, x: 'timeoutMs' as const, y: 'downtimeMs' as const, xTitle: 'timeout (ms)' };
      assert.throws(() => lineChart({ ...base, yTitle: 'downtime' }), /yTitle must be an axis title ending in its unit/);
      assert.throws(() => lineChart({ ...base, yTitle: 'downtime (ms)', y: 'nope' as 'downtimeMs' }), /lineChart y must be a field of the rows \(one of timeoutMs, downtimeMs, protocol\)/);
    });

    it('write a text summary of the numbers into the description', () => {
      const text = sampleLine().description as string;
      assert.match(text, /4 points in 2 series/);
      assert.match(text, /2PC: min 240, median 240, max 450/);
    });

    it('compute an empirical CDF, with steps for ties and a cap on points', () => {
      const points = empiricalCdf('s', [3, 1, 2, 2]);
      assert.deepEqual(points.map((p) => [p.value, p.fraction]), [[1, 0], [1, 0.25], [2, 0.75], [3, 1]]);
      const many = empiricalCdf('s', Array.from({ length: 10000 }, (_, i) => i), 100);
      assert.ok(many.length <= 101);
      assert.deepEqual([many[0].value, many[many.length - 1].value, many[many.length - 1].fraction], [0, 9999, 1]);
    });
  });

  describe('rendering', () => {
    it('draws a PNG: signature, white background, non-trivial, modest size', () => {
      const png = renderPng(sampleLine());
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
      assert.ok(png.length > 10_000, `non-trivial (${png.length} bytes)`);
      assert.ok(png.length < 200_000, `modest (${png.length} bytes)`);
      assert.deepEqual(firstPixel(png), [255, 255, 255, 255]);
      assert.equal(png.readUInt32BE(16), 2 * Number(/width="(\d+)"/.exec(renderSvg(sampleLine()))?.[1]), 'drawn at 2x');
    });

    it('is deterministic: the same spec gives the same SVG and the same PNG bytes', () => {
      const spec = spaceTimeDiagram(handTrace(), { title: 'determinism' });
      assert.equal(renderSvg(spec), renderSvg(spec));
      assert.ok(renderPng(spec).equals(renderPng(spec)));
    });

    it('refuses a spec whose data must be loaded, since drawing is synchronous', () => {
      const spec: VegaLiteSpec = { data: { url: 'https://example.com/data.csv' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } };
      assert.throws(() => renderSvg(spec), /needs inline data/);
    });

    it('survives marks far outside the canvas (resvg 2.6 would abort the process)', () => {
      const outside = '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"><defs><clipPath id="clip1"><rect x="0" y="0" width="50" height="50"/></clipPath></defs>' +
        '<rect x="0" y="0" width="10" height="10" fill="red"/><text x="0" y="900" opacity="0.5">far</text>' +
        '<g clip-path="url(#clip1)"><path d="M0,900h10" stroke="black"/></g></svg>';
      assert.match(safeForResvg(outside), /<text x="0" y="900" fill-opacity="0.5" stroke-opacity="0.5">/);
      assert.match(safeForResvg(outside), /<g clip-path="url\(#clip1\)"><rect x="0" y="0" width="50" height="50" fill="white" fill-opacity="0"\/>/);
      const viz = path.resolve(__dirname, '../../lib/viz');
      const script = `process.stdout.write(String(require(${JSON.stringify(viz)}).svgToPng(${JSON.stringify(outside)}).length))`;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      assert.equal(child.status, 0, `child exited with ${child.status} ${child.signal ?? ''}: ${child.stderr.slice(0, 300)}`);
      assert.ok(Number(child.stdout) > 100);
    });

    it('measures text as DejaVu Sans', () => {
      assert.ok(textWidthPx('iiii', 11, false) < textWidthPx('WWWW', 11, false));
      assert.ok(textWidthPx('latency', 12, true) > textWidthPx('latency', 12, false));
      assert.equal(Math.round(textWidthPx('virtual time (ms)', 11, false)), 92);
    });
  });

  describe('progress', () => {
    it('updates one output in place, only when the percentage changes, and ends with the final bar', () => {
      // A stand-in for tslab's jupyter module, found the way the kernel's is (require.cache).
      const key = path.join(os.tmpdir(), 'fake', 'tslab', 'dist', 'jupyter.js');
      const writes: { text: string; id: unknown; update: boolean }[] = [];
      const fake = { lastWriteDisplayData: (content: { data: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => writes.push({ text: String(content.data[TEXT_MIME]), id: content.transient.display_id, update }) };
      require.cache[key] = { id: key, filename: key, loaded: true, exports: fake } as unknown as NodeModule;
      try {
        const bar = progress('sweep', 400, 'runs');
        for (let i = 0; i < 400; i++) bar.tick();
        bar.done();
      } finally {
        delete require.cache[key];
      }
      assert.equal(writes[0].update, false);
      assert.ok(writes.slice(1).every((w) => w.update && w.id === writes[0].id), 'later writes update the first output');
      assert.equal(writes.length, 1 + 100 + 1, 'a first draw, one per percent, and the final one');
      assert.match(writes[writes.length - 1].text, /^sweep: \[#{30}\] 400\/400 runs, done$/);
    });

    it('is silent outside a notebook and refuses a total below 1', () => {
      const bar = progress('quiet', 3);
      bar.tick();
      bar.done();
      assert.throws(() => progress('nothing', 0), /progress total must be an integer >= 1, got 0/);
    });
  });

  describe('display bundles', () => {
    it('hold Vega-Lite, PNG and text in one bundle, with the CSS size of the image', () => {
      const spec = sampleLine();
      const bundle = bundleFor(spec, 'median downtime 255 ms');
      assert.deepEqual(Object.keys(bundle.data).sort(), [VEGA_LITE_MIME, PNG_MIME, TEXT_MIME].sort());
      assert.equal(bundle.data[VEGA_LITE_MIME], spec);
      assert.equal(bundle.data[TEXT_MIME], 'median downtime 255 ms');
      const png = Buffer.from(bundle.data[PNG_MIME] as string, 'base64');
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
      const size = (bundle.metadata[PNG_MIME] as { width: number; height: number });
      assert.equal(png.readUInt32BE(16), size.width * 2);
      assert.equal(bundleFor(spec).data[TEXT_MIME], spec.description, 'summary defaults to the description');
    });

    it('bundle a Plotly figure with the fallback PNG and a summary', () => {
      const figure = { data: [{ type: 'scatter', x: [1, 2], y: [3, 4] }], layout: {} };
      const withImage = plotlyBundle(figure, { summary: 'two points', fallbackSpec: sampleLine() });
      assert.deepEqual(Object.keys(withImage.data).sort(), [PLOTLY_MIME, PNG_MIME, TEXT_MIME].sort());
      const withoutImage = plotlyBundle(figure, { summary: 'two points' });
      assert.deepEqual(Object.keys(withoutImage.data).sort(), [PLOTLY_MIME, TEXT_MIME].sort());
      assert.throws(() => plotlyBundle(figure, { summary: '' }), /plotlyBundle summary/);
    });

    it('render a table as HTML (escaped) and aligned text', () => {
      const bundle = tableBundle([{ name: '<b>', p99Ms: 12.3456 }, { name: 'raft', p99Ms: 3 }], { title: 'Tail latency', columns: ['name', { field: 'p99Ms', header: 'p99 (ms)' }] });
      assert.match(bundle.data[HTML_MIME] as string, /&lt;b&gt;/);
      assert.equal(bundle.data[TEXT_MIME], ['Tail latency', 'name  p99 (ms)', '----  --------', '<b>     12.346', 'raft         3'].join('\n'));
    });

    it('are sent as ONE display_data message in a tslab kernel, and as text elsewhere', () => {
      const bundle: DisplayBundle = { data: { [TEXT_MIME]: 'the numbers', [HTML_MIME]: '<b>x</b>' }, metadata: {} };
      // outside a kernel: the text goes to stdout
      const written: string[] = [];
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
      try {
        show(bundle);
      } finally {
        process.stdout.write = write;
      }
      assert.deepEqual(written, ['the numbers\n']);
      // inside: tslab's module holds the writer of the running cell
      const fakeKey = path.join(os.tmpdir(), 'fake', 'node_modules', 'tslab', 'dist', 'jupyter.js');
      const messages: unknown[][] = [];
      const fake = { id: fakeKey, filename: fakeKey, loaded: true, exports: { lastWriteDisplayData: (...args: unknown[]) => messages.push(args) } };
      require.cache[fakeKey] = fake as unknown as NodeModule;
      try {
        show(bundle);
      } finally {
        delete require.cache[fakeKey];
      }
      assert.deepEqual(messages, [[{ data: bundle.data, metadata: {}, transient: {} }, false]]);
    });

    it('write the PNG to a file when asked', () => {
      const file = path.join(os.tmpdir(), `viz-test-${process.pid}`, 'chart.png');
      const write = process.stdout.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        show(bundleFor(sampleLine()), { pngPath: file });
      } finally {
        process.stdout.write = write;
      }
      assert.ok(fs.readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE));
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });
  });

  describe('spaceTimeDiagram', () => {
    it('reads messages, outages, splits and operations out of a trace', () => {
      const facts = spaceTimeFacts(handTrace());
      assert.deepEqual(facts.nodes, ['a', 'b', 'c']);
      assert.deepEqual(facts.messages.map((m) => [m.msgId, m.type, m.outcome, m.reason]), [
        [1, 'Ping', 'delivered', undefined],
        [2, 'Pong', 'dropped', 'loss'],
        [3, 'Ping', 'dropped', 'crashed'],
        [4, 'Gossip', 'in flight', undefined],
      ]);
      assert.deepEqual(facts.outages, [{ node: 'c', kind: 'crash', fromMs: 10, toMs: 25, ended: true }]);
      assert.deepEqual(facts.splits, [{ kind: 'partition', fromMs: 20, toMs: 30, ended: true, label: 'partition {a} | {b,c}' }]);
      assert.equal(facts.operations[0].returnMs, 14);
    });

    it('draws a mark of each kind, with the data inside the spec', () => {
      const spec = spaceTimeDiagram(handTrace(), { title: 'one of each' });
      const data = datasetsOf(spec);
      assert.deepEqual(data.delivered.map((m) => [m.msgId, m.x, m.x2, m.timeMs, m.endMs]), [[1, 0, 1, 1, 4]]);
      assert.equal(data.arrowHeads.length, 1);
      assert.deepEqual(data.drops.map((m) => [m.msgId, m.reason]), [[2, 'loss'], [3, 'crashed']]);
      assert.equal(data.drops[1].x2, 2, 'a message to a crashed node ends at its lane');
      assert.ok((data.drops[0].x2 as number) > 0 && (data.drops[0].x2 as number) < 1, 'a lost message ends on the way');
      assert.deepEqual(data.dropMarks.map((m) => m.timeMs), [6, 13]);
      assert.deepEqual(data.inFlight.map((m) => m.msgId), [4]);
      assert.equal(data.inFlight[0].endMs, (spec.encoding as { y: { scale: { domain: number[] } } }).y.scale.domain[1], 'in flight runs to the bottom edge');
      assert.deepEqual(data.nodeMarks.map((m) => [m.node, m.text, m.timeMs]), [['c', 'crash', 10], ['c', 'restart', 25]]);
      assert.deepEqual(data.outages.map((o) => [o.node, o.kind, o.timeMs, o.endMs]), [['c', 'crash', 10, 25]]);
      assert.deepEqual(data.splitBands.map((s) => [s.timeMs, s.endMs, s.label]), [[20, 30, 'partition {a} | {b,c}']]);
      assert.deepEqual(data.invokes.map((o) => o.text), ['client write 3']);
      assert.deepEqual(data.returns.map((o) => o.text), ['ok 3']);
      assert.deepEqual(data.annotations.map((a) => a.text), ['decided COMMIT']);
      assert.deepEqual(data.messageLabels.map((l) => l.text).sort(), ['Gossip', 'Ping', 'Ping', 'Pong']);
      const y = (spec.encoding as { y: { axis: { title: string } } }).y;
      assert.equal(y.axis.title, 'virtual time (ms)');
      assert.match(spec.description as string, /4 messages: 1 delivered, 2 dropped, 1 in flight/);
    });

    it('keeps to a time window and a cap on messages, and says how many were left out', () => {
      const spec = spaceTimeDiagram(handTrace(), { fromMs: 0, toMs: 12, maxMessages: 2, nodes: ['c', 'b', 'a'] });
      const data = datasetsOf(spec);
      assert.deepEqual(data.lanes.map((l) => l.node), ['c', 'b', 'a']);
      assert.equal(data.delivered.length + data.drops.length + data.inFlight.length, 2);
      const subtitle = (spec.title as { subtitle: string[] }).subtitle.join('\n');
      assert.match(subtitle, /3 messages: .*first 2 drawn, 1 left out/);
      assert.equal(data.splitBands.length, 0, 'the partition starts after the window');
      renderPng(spec);
    });

    it('gives a valid empty diagram with a note for an empty trace', () => {
      const spec = spaceTimeDiagram([]);
      assert.deepEqual(datasetsOf(spec).note.map((n) => n.text), ['no events in this trace']);
      assert.deepEqual(compileChart(spec).warnings, []);
      assert.ok(renderPng(spec).subarray(0, 8).equals(PNG_SIGNATURE));
    });

    it('draws a long trace through a narrow window without crashing the renderer', () => {
      const events: TraceEvent[] = [];
      for (let i = 0; i < 300; i++) {
        const from = `n${i % 5}`;
        const to = `n${(i + 1) % 5}`;
        events.push({ kind: 'send', timeMs: i * 10, from, to, msgId: i, msg: { type: 'Append' } });
        events.push({ kind: 'deliver', timeMs: i * 10 + 500, from, to, msgId: i, sentMs: i * 10, msg: { type: 'Append' } });
      }
      events.sort((a, b) => a.timeMs - b.timeMs);
      const spec = spaceTimeDiagram(events, { fromMs: 2000, toMs: 2100 });
      assert.ok(renderPng(spec).length > 1000);
    });
  });

  describe('spaceTimeDiagram text layout', () => {
    it('joins annotations at one node within a text line into one label, keeping every text in the tooltip', () => {
      const events: TraceEvent[] = [
        { kind: 'annotate', timeMs: 10, node: 'p1', text: 'lock acquired' },
        { kind: 'annotate', timeMs: 10.5, node: 'p1', text: 'vote' },
        { kind: 'annotate', timeMs: 10.5, node: 'p2', text: 'vote' },
        { kind: 'annotate', timeMs: 60, node: 'p1', text: 'commit' },
        { kind: 'annotate', timeMs: 100, node: 'p1', text: 'timeout' },
        { kind: 'annotate', timeMs: 100.2, node: 'p1', text: 'timeout' },
      ];
      const spec = spaceTimeDiagram(events);
      const notes = datasetsOf(spec).annotations;
      assert.deepEqual(notes.map((n) => [n.node, n.text, n.atMs]), [
        ['p1', 'lock acquired · vote', 10],
        ['p2', 'vote', 10.5],
        ['p1', 'commit', 60],
        ['p1', 'timeout ×2', 100],
      ]);
      assert.match(notes[0].tip as string, /lock acquired · vote \(10\.5 ms\)/);
      assert.ok(noOverlaps(spec, ['annotations']), 'no two notes overlap');
    });

    it('cuts a long cluster of notes with an ellipsis and keeps the whole of it in the tooltip', () => {
      const texts = ['timeout', 'termination round', 'state report', 'decision', 'commit', 'lock released', 'done'];
      const events: TraceEvent[] = texts.map((text, i) => ({ kind: 'annotate', timeMs: 100 + i * 0.01, node: 'p2', text }));
      events.push({ kind: 'annotate', timeMs: 0, node: 'p1', text: 'start' }, { kind: 'annotate', timeMs: 500, node: 'p3', text: 'end' });
      const spec = spaceTimeDiagram(events);
      const lines = datasetsOf(spec).annotations.filter((n) => n.node === 'p2');
      assert.ok(lines.length > 1 && lines.length <= 3, `wrapped onto ${lines.length} lines`);
      assert.match(lines[lines.length - 1].text as string, /…$/);
      for (const text of texts) assert.ok((lines[0].tip as string).includes(text), `the tooltip keeps '${text}'`);
      const laneWidth = (spec.width as number) / 3.9; // three lanes and the margin right of the last
      for (const line of lines) assert.ok(textWidthPx(line.text as string, 9, false) < laneWidth, 'each line fits beside its lane');
      assert.ok(noOverlaps(spec, ['annotations']));
    });

    it('labels fewer arrows than a dense burst has, but every message type at least once, overlapping nothing', () => {
      const types = ['Prepare', 'Vote', 'Commit', 'Ack'];
      const nodes = ['c', 'p1', 'p2', 'p3'];
      const events: TraceEvent[] = [];
      for (let i = 0; i < 20; i++) {
        const from = nodes[i % 4];
        const to = nodes[(i + 1 + (i % 3)) % 4];
        const msg = { type: types[Math.floor(i / 5)] };
        const sentMs = 10 + i * 0.1;
        events.push({ kind: 'send', timeMs: sentMs, from, to, msgId: i + 1, msg });
        events.push({ kind: 'deliver', timeMs: sentMs + 1.5, from, to, msgId: i + 1, sentMs, msg });
      }
      events.push({ kind: 'annotate', timeMs: 10, node: 'c', text: 'begin' }, { kind: 'annotate', timeMs: 200, node: 'c', text: 'end' });
      events.sort((a, b) => a.timeMs - b.timeMs);
      const spec = spaceTimeDiagram(events, { title: 'burst' });
      const data = datasetsOf(spec);
      assert.equal(data.delivered.length, 20);
      assert.ok(data.messageLabels.length < 20, `${data.messageLabels.length} labels for 20 arrows`);
      assert.deepEqual([...new Set(data.messageLabels.map((l) => l.text))].sort(), [...types].sort(), 'each type is labelled');
      assert.ok(noOverlaps(spec, ['annotations', 'messageLabels']), 'no label overlaps another or a note');
      assert.ok(data.delivered.every((m) => typeof m.tip === 'string' && (m.tip as string).includes(`#${m.msgId}`)), 'every arrow has its tooltip');
      assert.deepEqual(compileChart(spec).warnings, []);
    });

    it('puts a partition label where no note is, inside its band', () => {
      const events: TraceEvent[] = [
        { kind: 'annotate', timeMs: 10, node: 'c', text: 'precommit' },
        { kind: 'network', timeMs: 10, change: 'partition', groups: [['c', 'p1'], ['p2', 'p3']] },
        { kind: 'annotate', timeMs: 10.2, node: 'p1', text: 'precommit' },
        { kind: 'annotate', timeMs: 10.4, node: 'p2', text: 'lock acquired' },
        { kind: 'annotate', timeMs: 10.6, node: 'p3', text: 'lock acquired' },
        { kind: 'network', timeMs: 300, change: 'heal' },
      ];
      const spec = spaceTimeDiagram(events);
      const [label] = datasetsOf(spec).splitLabels;
      assert.equal(label.text, 'partition {c,p1} | {p2,p3}');
      assert.ok((label.timeMs as number) >= 10 && (label.timeMs as number) < 300, 'inside the band');
      assert.ok(noOverlaps(spec, ['annotations', 'splitLabels']));
    });

    it('gives the same spec for the same trace, and makes room for many distinct times', () => {
      const events = handTrace();
      assert.equal(JSON.stringify(spaceTimeDiagram(events, { title: 'same' })), JSON.stringify(spaceTimeDiagram(events.slice(), { title: 'same' })));
      const busy: TraceEvent[] = [];
      for (let i = 0; i < 40; i++) busy.push({ kind: 'annotate', timeMs: i * 1.37, node: `n${i % 3}`, text: `step ${i}` });
      assert.ok((spaceTimeDiagram(busy).height as number) > (spaceTimeDiagram(busy.slice(0, 10)).height as number));
      assert.ok((spaceTimeDiagram(busy).height as number) <= 1600);
    });
  });
});

/** The box of each text label of the given datasets, in plot pixels, as the diagram places them. */
function labelBoxes(spec: VegaLiteSpec, names: string[]): { name: string; text: string; x0: number; x1: number; y0: number; y1: number }[] {
  const data = datasetsOf(spec);
  const encoding = spec.encoding as { x: { scale: { domain: number[] } }; y: { scale: { domain: number[] } } };
  const [xMin, xMax] = encoding.x.scale.domain;
  const [tMin, tMax] = encoding.y.scale.domain;
  const xPx = (x: number) => ((x - xMin) / (xMax - xMin)) * (spec.width as number);
  const yPx = (t: number) => ((t - tMin) / (tMax - tMin)) * (spec.height as number);
  const boxes = [];
  for (const name of names) {
    const fontSize = name === 'splitLabels' ? 10 : 9;
    for (const row of data[name]) {
      const text = row.text as string;
      const width = textWidthPx(text, fontSize, false);
      const x = xPx(row.x as number);
      const x0 = name === 'messageLabels' ? x - width / 2 : x; // message labels are centred, the rest start at x
      const y = yPx(row.timeMs as number);
      boxes.push({ name, text, x0, x1: x0 + width, y0: y - fontSize / 2, y1: y + fontSize / 2 });
    }
  }
  return boxes;
}

/** Whether no two labels of the given datasets overlap (glyph height, not line height). */
function noOverlaps(spec: VegaLiteSpec, names: string[]): boolean {
  const boxes = labelBoxes(spec, names);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) {
        assert.fail(`'${a.text}' (${a.name}) overlaps '${b.text}' (${b.name})`);
      }
    }
  }
  return true;
}
