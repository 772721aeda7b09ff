/**
 * What the grader prints and writes: a failure report that says which invariant broke, when,
 * with which seed, and the command that replays it (fast-check's failure report); the table;
 * and Gradescope's results.json.
 */
import { FailureInfo } from './protocol';
import { TestResult } from './runner';
import { Target } from './suite';

/** How hidden tests appear: run and shown, run but left out of the printout, or not run. */
export type HiddenMode = 'include' | 'hide' | 'skip';

export interface ReportOptions {
  target: Target;
  hidden: HiddenMode;
  /** Flags the replay command must repeat (--dir, --impl-root, limits that were changed). */
  replayFlags: string[];
}

const tableResultChars = 100;
const terminalOutputLines = 20;

function quote(text: string): string {
  if (!/["\\$`!]/.test(text)) return `"${text}"`;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs exactly this test again, with this seed. */
export function replayCommand(topic: string, testName: string | undefined, seed: number | string | undefined, options: ReportOptions): string {
  const parts = ['npm run grade --', topic];
  if (testName !== undefined) parts.push('--test', quote(testName));
  if (seed !== undefined) parts.push('--seed', typeof seed === 'number' ? String(seed) : quote(seed));
  if (options.target === 'solutions') parts.push('--target', 'solutions');
  parts.push(...options.replayFlags.map((word) => (/^[\w./:=@%+-]+$/.test(word) ? word : quote(word))));
  return parts.join(' ');
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

function where(failure: FailureInfo): string {
  const parts: string[] = [];
  if (failure.seed !== undefined) parts.push(`seed ${failure.seed}`);
  if (failure.timeMs !== undefined) parts.push(`t=${failure.timeMs} ms`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The one-line summary of a result, for the table. */
export function summarize(result: TestResult): string {
  const failure = result.failure;
  if (result.passed || !failure) return 'passed';
  switch (failure.kind) {
    case 'invariant':
      return `${failure.invariant} broke: ${firstLine(failure.message)}${where(failure)}`;
    case 'not-implemented':
      return `not implemented yet: ${firstLine(failure.message)}`;
    case 'error':
      return `${failure.errorName ? `${failure.errorName}: ` : ''}${firstLine(failure.message)}${where(failure)}`;
    case 'load':
      return `could not load: ${firstLine(failure.message)}`;
    default:
      return `${firstLine(failure.message)}${where(failure)}`;
  }
}

export function formatPoints(points: number): string {
  return String(Math.round(points * 100) / 100);
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => `${prefix}${line}`);
}

/** The full report of a failed test, as lines (empty for a pass). */
export function failureDetails(result: TestResult, options: ReportOptions, outputLines = terminalOutputLines): string[] {
  const failure = result.failure;
  if (result.passed || !failure) return [];
  const lines = [`FAILED ${result.topic}: ${result.name} (${formatPoints(result.score)}/${formatPoints(result.points)} points)`];
  if (result.description) lines.push(...indent(result.description, '  | '));
  switch (failure.kind) {
    case 'invariant': {
      const when = failure.timeMs !== undefined ? ` at simulated time ${failure.timeMs} ms` : '';
      const seed = failure.seed !== undefined ? ` with seed ${failure.seed}` : '';
      lines.push(`  invariant ${failure.invariant} broke${when}${seed}:`);
      lines.push(...indent(failure.message, '    '));
      break;
    }
    case 'not-implemented':
      lines.push(`  not implemented yet: ${firstLine(failure.message)}`);
      lines.push(...indent(failure.message.split('\n').slice(1).join('\n'), '    ').filter((line) => line.trim()));
      break;
    case 'error':
      lines.push(...indent(`${failure.errorName ? `${failure.errorName}: ` : ''}${failure.message}`, '  '));
      break;
    case 'load':
      lines.push(...indent(`could not load the graded file: ${failure.message}`, '  '));
      break;
    default:
      lines.push(...indent(failure.message, '  '));
  }
  if (failure.kind !== 'invariant') {
    const seedNote = failure.seed !== undefined ? `  while running seed ${failure.seed}` : '';
    const timeNote = failure.timeMs !== undefined ? `${seedNote ? ',' : ' '} at simulated time ${failure.timeMs} ms` : '';
    if (seedNote || timeNote) lines.push(`${seedNote}${timeNote}`);
  }
  for (const frame of failure.where ?? []) lines.push(`    at ${frame}`);
  if (failure.hint) lines.push(`  hint: ${failure.hint}`);
  const loadRow = failure.kind === 'load' && result.points === 0 && result.name.startsWith('(');
  lines.push(`  replay: ${replayCommand(result.topic, loadRow ? undefined : result.name, failure.seed, options)}`);
  if (!loadRow && failure.seed !== undefined && failure.kind === 'invariant') {
    const target = options.target === 'solutions' ? ' --target solutions' : '';
    lines.push(`  trace and diagram of that run: npm run replay -- ${result.topic} ${quote(result.name)} --seed ${failure.seed}${target}`);
  }
  const output = result.output.replace(/\s+$/, '');
  if (output && outputLines > 0) {
    const all = output.split('\n');
    const shown = all.slice(-outputLines);
    const more = all.length > shown.length ? ` (last ${shown.length} of ${all.length} lines)` : '';
    lines.push(`  output${more}:`);
    lines.push(...shown.map((line) => `    > ${line}`));
  }
  return lines;
}

/** The results the printout shows, given how hidden tests appear. */
export function shownResults(results: TestResult[], hidden: HiddenMode): TestResult[] {
  return hidden === 'hide' ? results.filter((result) => !result.hidden) : results;
}

function clipText(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 3)}...` : text;
}

/** The table: test, points earned / possible, first line of the failure. */
export function formatTable(results: TestResult[]): string[] {
  const names = results.map((result) => clipText(`${result.topic}: ${result.name}${result.hidden ? ' (hidden)' : ''}`, 60));
  const points = results.map((result) => `${formatPoints(result.score)}/${formatPoints(result.points)}`);
  const nameWidth = Math.max(4, ...names.map((name) => name.length));
  const pointsWidth = Math.max(6, ...points.map((text) => text.length));
  const lines = [`${'Test'.padEnd(nameWidth)}  ${'Points'.padStart(pointsWidth)}  Result`];
  results.forEach((result, index) => {
    lines.push(`${names[index].padEnd(nameWidth)}  ${points[index].padStart(pointsWidth)}  ${clipText(summarize(result), tableResultChars)}`);
  });
  return lines;
}

/** Sums over results. */
export function totals(results: TestResult[]): { score: number; maxScore: number; passed: number; failed: number } {
  let score = 0;
  let maxScore = 0;
  let passed = 0;
  for (const result of results) {
    score += result.score;
    maxScore += result.points;
    if (result.passed) passed++;
  }
  return { score: round(score), maxScore: round(maxScore), passed, failed: results.length - passed };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** One test of Gradescope's results.json. */
export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  visibility: 'visible' | 'hidden';
}

/** Gradescope's results.json (https://gradescope-autograders.readthedocs.io, "Output format"). */
export interface GradescopeResults {
  score: number;
  max_score: number;
  execution_time: number;
  output: string;
  tests: GradescopeTest[];
}

/** results.json for every test that ran, hidden ones marked 'hidden'. */
export function gradescopeResults(results: TestResult[], options: ReportOptions, executionTimeMs: number): GradescopeResults {
  const sum = totals(results);
  const tests = results.map((result): GradescopeTest => {
    const parts: string[] = [];
    if (result.passed) {
      parts.push(`passed in ${Math.round(result.durationMs)} ms`);
      if (result.output.trim()) parts.push('output:', result.output.replace(/\s+$/, ''));
    } else {
      parts.push(...failureDetails(result, options, 0).slice(1).map((line) => line.replace(/^ {2}(\| )?/, '')));
      if (result.output.trim()) parts.push('output:', result.output.replace(/\s+$/, ''));
    }
    if (result.passed && result.description) parts.unshift(result.description);
    return {
      name: `${result.topic}: ${result.name}`,
      score: result.score,
      max_score: result.points,
      status: result.passed ? 'passed' : 'failed',
      output: parts.join('\n'),
      visibility: result.hidden ? 'hidden' : 'visible',
    };
  });
  return {
    score: sum.score,
    max_score: sum.maxScore,
    execution_time: Math.ceil(executionTimeMs / 1000),
    output: `target ${options.target}: ${sum.passed} passed, ${sum.failed} failed; ${formatPoints(sum.score)}/${formatPoints(sum.maxScore)} points`,
    tests,
  };
}
