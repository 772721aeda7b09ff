import { ConfigError } from '../core';
import { DisplayBundle, HTML_MIME, TEXT_MIME } from './bundle';
import { formatNumber } from './summary';

/** Options of `tableBundle`. */
export interface TableOptions {
  /** A caption above the table. */
  title?: string;
  /** Which fields to show, in order, optionally with a header (units last: 'p99 latency (ms)'). */
  columns?: readonly (string | { field: string; header: string })[];
  /** Rows beyond this many are left out, and the text says how many (default 50). */
  maxRows?: number;
}

/**
 * A table of rows as a display bundle: HTML for notebooks (numbers right-aligned), aligned
 * plain text for everything else. Numbers are shown with up to 3 decimals.
 *
 * @example
 *   show(tableBundle(
 *     [{ protocol: '2PC', commits: 41, p99Ms: 12.25 }, { protocol: '3PC', commits: 40, p99Ms: 17.5 }],
 *     { title: 'Commits per protocol', columns: ['protocol', 'commits', { field: 'p99Ms', header: 'p99 latency (ms)' }] },
 *   ));
 */
export function tableBundle(rows: readonly object[], options: TableOptions = {}): DisplayBundle {
  if (!Array.isArray(rows)) throw new ConfigError('tableBundle rows', 'an array of objects', rows);
  const columns = (options.columns ?? columnsOf(rows)).map((c) => (typeof c === 'string' ? { field: c, header: c } : c));
  const maxRows = options.maxRows ?? 50;
  const shown = rows.slice(0, maxRows);
  const leftOut = rows.length - shown.length;
  const cells = shown.map((row) => columns.map((c) => cellText((row as Record<string, unknown>)[c.field])));
  const numeric = columns.map((c) => shown.length > 0 && shown.every((row) => typeof (row as Record<string, unknown>)[c.field] === 'number'));
  const note = leftOut > 0 ? `${leftOut} more rows not shown (${rows.length} in all)` : '';

  const html: string[] = ['<table>'];
  if (options.title) html.push(`<caption>${escapeHtml(options.title)}</caption>`);
  html.push('<thead><tr>' + columns.map((c, i) => `<th style="text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(c.header)}</th>`).join('') + '</tr></thead>');
  html.push('<tbody>');
  for (const row of cells) {
    html.push('<tr>' + row.map((text, i) => `<td style="text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(text)}</td>`).join('') + '</tr>');
  }
  html.push('</tbody></table>');
  if (note) html.push(`<p><em>${escapeHtml(note)}</em></p>`);

  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines: string[] = [];
  if (options.title) lines.push(options.title);
  lines.push(columns.map((c, i) => pad(c.header, i)).join('  ').trimEnd());
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) lines.push(row.map((text, i) => pad(text, i)).join('  ').trimEnd());
  if (note) lines.push(note);

  return { data: { [HTML_MIME]: html.join('\n'), [TEXT_MIME]: lines.join('\n') }, metadata: {} };
}

function columnsOf(rows: readonly object[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function cellText(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
