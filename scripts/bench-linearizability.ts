/**
 * How fast the linearizability checker is on the recorded histories of ../shared/histories
 * (Porcupine's etcd and kv test histories; see its README.md): one run per history, or the
 * median of three when a run takes under 100 ms. Times cover the check, not the parsing.
 *
 * Usage: node dist/scripts/bench-linearizability.js [DIR]
 * The main bench can call `benchLinearizability()` and `formatLinearizabilityBench(rows)`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkHistory, parseHistory } from '../lib/checkers/linearizability';

/** One history's result. */
export interface LinearizabilityBenchRow {
  /** The file, relative to the histories folder ("etcd/etcd_000.log"). */
  file: string;
  operations: number;
  verdict: 'linearizable' | 'not linearizable' | 'unknown';
  /** From verdicts.txt, when it lists the file. */
  expected?: 'linearizable' | 'not linearizable';
  /** Milliseconds of checking: one run, or the median of three. */
  ms: number;
  runs: number;
  steps: number;
}

/** Where the recorded histories live: ../shared/histories next to the repository. */
export function defaultHistoriesDir(): string {
  const repoRoot = path.resolve(__dirname, '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'histories');
}

/** Runs under this many milliseconds are repeated and the median kept. */
const SMALL_RUN_MS = 100;

/**
 * Times the checker on every history of `dir` (the files of verdicts.txt, else every file under
 * etcd/ and kv/).
 *
 * @example
 *   const rows = benchLinearizability();
 *   console.log(formatLinearizabilityBench(rows));
 */
export function benchLinearizability(dir = defaultHistoriesDir()): LinearizabilityBenchRow[] {
  if (!fs.existsSync(dir)) throw new Error(`bench-linearizability: no histories at ${dir}`);
  const expected = readVerdicts(dir);
  const files = expected.size > 0 ? [...expected.keys()] : listHistories(dir);
  return files.map((file) => {
    const history = parseHistory(fs.readFileSync(path.join(dir, file), 'utf8'), { file });
    const times: number[] = [];
    let result = null as ReturnType<typeof checkHistory> | null;
    do {
      const started = performance.now();
      result = checkHistory(history);
      times.push(performance.now() - started);
    } while (times.length < 3 && times[0] < SMALL_RUN_MS);
    times.sort((a, b) => a - b);
    const verdict = result.ok === true ? 'linearizable' : result.ok === false ? 'not linearizable' : 'unknown';
    const row: LinearizabilityBenchRow = {
      file,
      operations: history.operations.length,
      verdict,
      ms: times[Math.floor(times.length / 2)],
      runs: times.length,
      steps: result.stats.steps,
    };
    const wanted = expected.get(file);
    if (wanted) row.expected = wanted;
    return row;
  });
}

/** The table: file, ops, verdict, ms, then the slowest history and the total. */
export function formatLinearizabilityBench(rows: readonly LinearizabilityBenchRow[]): string {
  const width = Math.max(4, ...rows.map((r) => r.file.length));
  const lines = [`${'file'.padEnd(width)}  ${'ops'.padStart(5)}  ${'verdict'.padEnd(16)}  ${'ms'.padStart(9)}`];
  for (const r of rows) {
    const mismatch = r.expected !== undefined && r.expected !== r.verdict ? `  WRONG: expected ${r.expected}` : '';
    const median = r.runs > 1 ? ` (median of ${r.runs})` : '';
    lines.push(`${r.file.padEnd(width)}  ${String(r.operations).padStart(5)}  ${r.verdict.padEnd(16)}  ${r.ms.toFixed(2).padStart(9)}${median}${mismatch}`);
  }
  if (rows.length > 0) {
    const slowest = rows.reduce((a, b) => (b.ms > a.ms ? b : a));
    const total = rows.reduce((sum, r) => sum + r.ms, 0);
    const wrong = rows.filter((r) => r.expected !== undefined && r.expected !== r.verdict).length;
    lines.push('');
    lines.push(`slowest: ${slowest.file} (${slowest.operations} ops, ${slowest.steps} steps) ${slowest.ms.toFixed(1)} ms`);
    lines.push(`total: ${rows.length} histories, ${total.toFixed(1)} ms; ${wrong === 0 ? 'every verdict as in verdicts.txt' : `${wrong} verdicts differ from verdicts.txt`}`);
  }
  return lines.join('\n');
}

function readVerdicts(dir: string): Map<string, 'linearizable' | 'not linearizable'> {
  const out = new Map<string, 'linearizable' | 'not linearizable'>();
  const file = path.join(dir, 'verdicts.txt');
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
    const [name, verdict] = line.trim().split(/\s+/);
    if (name && verdict) out.set(name, verdict === 'linearizable' ? 'linearizable' : 'not linearizable');
  }
  return out;
}

function listHistories(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['etcd', 'kv']) {
    const folder = path.join(dir, sub);
    if (!fs.existsSync(folder)) continue;
    for (const name of fs.readdirSync(folder).sort()) out.push(`${sub}/${name}`);
  }
  return out;
}

if (require.main === module) {
  const rows = benchLinearizability(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(formatLinearizabilityBench(rows));
}
