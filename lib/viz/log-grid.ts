import { ConfigError } from '../core';
import { VegaLiteSpec, titleBlock, withChartDefaults } from './spec';
import { requireChartTitle } from './titles';

/** One server's replicated log, as a log-grid row. */
export interface LogGridServer {
  server: string;
  /** 'leader', 'follower', 'candidate', 'down', ...: shown beside the server's name. */
  status?: string;
  /** The server's current term, shown beside its name. */
  term?: number;
  /** Entries up to this index are committed (drawn solid; later ones faded). Default 0. */
  commitIndex?: number;
  /** Entries, by log index (1-based); a compacted prefix may be missing. */
  /** `label` is drawn in the cell when short (4 characters or fewer); `detail` goes in the tooltip. */
  entries: readonly { index: number; term: number; label?: string; detail?: string }[];
}

export interface LogGridOptions {
  /** What the grid shows, e.g. 'Figure 7: the leader and six possible followers'. */
  title: string;
  subtitle?: string | string[];
  servers: readonly LogGridServer[];
  /** Width of one log slot in pixels. Default 44. */
  cellPx?: number;
}

/**
 * Replicated logs as a grid: one row per server, one column per log index, each entry a cell
 * coloured by its term and labelled with the term (and the command, when short). Committed
 * entries are solid, uncommitted ones faded. The Raft notebooks use it for the paper's
 * Figures 6-8: where logs agree (Log Matching), where they diverge, and what a leader
 * overwrites.
 *
 * @example
 *   chart(logGridChart({ title: 'Two followers behind the leader', servers: [
 *     { server: 'n1', status: 'leader', term: 3, commitIndex: 2, entries: [{ index: 1, term: 1 }, { index: 2, term: 3 }] },
 *     { server: 'n2', term: 3, entries: [{ index: 1, term: 1 }] },
 *   ] }));
 */
export function logGridChart(options: LogGridOptions): VegaLiteSpec {
  const title = requireChartTitle('logGridChart', options.title);
  if (!Array.isArray(options.servers) || options.servers.length === 0) {
    throw new ConfigError('logGridChart servers', 'a non-empty array of { server, entries }', options.servers);
  }
  const cellPx = options.cellPx ?? 44;
  const rowName = (s: LogGridServer) => `${s.server}${s.status ? ` (${s.status}${s.term !== undefined ? `, term ${s.term}` : ''})` : s.term !== undefined ? ` (term ${s.term})` : ''}`;
  const rows = options.servers.map(rowName);
  const cells: { server: string; index: number; term: number; label: string; detail: string; committed: string }[] = [];
  let maxIndex = 1;
  for (const s of options.servers) {
    for (const e of s.entries) {
      if (!Number.isInteger(e.index) || e.index < 1) throw new ConfigError(`logGridChart ${s.server} entry index`, 'an integer >= 1', e.index);
      maxIndex = Math.max(maxIndex, e.index);
      const short = e.label !== undefined && e.label.length <= 4 ? `${e.term}:${e.label}` : String(e.term);
      cells.push({ server: rowName(s), index: e.index, term: e.term, label: short, detail: e.detail ?? e.label ?? '', committed: e.index <= (s.commitIndex ?? 0) ? 'committed' : 'not committed' });
    }
  }
  const indexes = Array.from({ length: maxIndex }, (_, i) => i + 1);
  return withChartDefaults({
    title: titleBlock(title, options.subtitle),
    description: describeGrid(title, options.servers, rowName),
    width: Math.max(200, cellPx * maxIndex),
    height: 30 * rows.length,
    data: { values: cells },
    encoding: {
      x: { field: 'index', type: 'ordinal', title: 'log index', sort: indexes, scale: { domain: indexes }, axis: { labelAngle: 0, orient: 'top' } },
      y: { field: 'server', type: 'nominal', title: 'server', sort: rows, scale: { domain: rows } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: { field: 'term', type: 'ordinal', title: 'term', scale: { scheme: 'tableau10' } },
          opacity: { field: 'committed', type: 'nominal', title: 'entry', scale: { domain: ['committed', 'not committed'], range: [1, 0.4] } },
          tooltip: [
            { field: 'server', type: 'nominal' },
            { field: 'index', type: 'ordinal', title: 'log index' },
            { field: 'term', type: 'ordinal' },
            { field: 'detail', type: 'nominal', title: 'entry' },
            { field: 'committed', type: 'nominal' },
          ],
        },
      },
      { mark: { type: 'text', fontSize: 11, color: '#111111' }, encoding: { text: { field: 'label', type: 'nominal' } } },
    ],
  });
}

function describeGrid(title: string, servers: readonly LogGridServer[], rowName: (s: LogGridServer) => string): string {
  const lines = [`${title} (log index: term, committed up to the commit index):`];
  for (const s of servers) {
    const terms = [...s.entries].sort((a, b) => a.index - b.index).map((e) => `${e.index}:${e.term}`).join(' ');
    lines.push(`  ${rowName(s)}: ${terms || '(empty)'}${s.commitIndex ? `; committed up to ${s.commitIndex}` : ''}`);
  }
  return lines.join('\n');
}
