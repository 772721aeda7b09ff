/**
 * The grader's command line: `npm run grade -- [topic ...] [flags]` (scripts/grade.ts).
 * Finds the compiled graded files, runs each in child processes (runner.ts), prints the
 * failures, the table and the totals, and writes Gradescope's results.json on request.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HiddenMode, ReportOptions, failureDetails, formatPoints, formatTable, gradescopeResults, shownResults, summarize, totals } from './report';
import { FileRun, RunnerOptions, TestResult, runGradedFile } from './runner';
import { Target } from './suite';
import { distRoot, targetVariable } from './target';

export const usage = `usage: npm run grade -- [topic ...] [options]

Runs the graded tests (dist/test/graded/<topic>.graded.js) against the learner's code and
prints one row per test, the total, and "N passed, M failed".

  topic ...              only these topics (default: all)
  --target T             exercises (default, or $${targetVariable}) or solutions (the reference)
  --test NAME            only the test with exactly this name
  --seed N               sweep only seed N (the replay command a failure prints)
  --json FILE            write Gradescope's results.json to FILE
  --include-hidden       run hidden tests and show them, marked (hidden) (the default)
  --hide-hidden          run hidden tests and record them in --json as hidden, but leave
                         them out of the printed table, totals and counts
  --skip-hidden          do not run hidden tests at all (a learner's view)
  --require-full         exit 1 unless every test passed
  --require-zero         exit 1 if any test earned points (CI: untouched stubs score nothing)
  --timeout-ms MS        wall-clock limit of a test that sets no timeoutMs (default 20000)
  --memory-mb MB         heap limit of each test process (default 512)
  --dir DIR              where to find *.graded.js (default dist/test/graded)
  --impl-root DIR        folder holding compiled exercises/ and solutions/ (default dist/)
  --verbose              progress and process start times on stderr
  --help                 this text

Exit status: 0 when the grading ran (failures included), 1 when --require-full or
--require-zero is not met, 2 for bad arguments.`;

/** Bad arguments: the grader prints the message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliOptions {
  topics: string[];
  target: Target;
  json?: string;
  testName?: string;
  seed?: number;
  hidden: HiddenMode;
  requireFull: boolean;
  requireZero: boolean;
  /** Absolute folder of the graded files, and whether --dir chose it. */
  dir: string;
  dirGiven: boolean;
  implementationRoot?: string;
  timeoutMs: number;
  timeoutGiven: boolean;
  memoryMb: number;
  memoryGiven: boolean;
  verbose: boolean;
  help: boolean;
}

const valueFlags = new Set(['--target', '--json', '--test', '--seed', '--dir', '--impl-root', '--timeout-ms', '--memory-mb']);
const hiddenFlags: Record<string, HiddenMode> = { '--include-hidden': 'include', '--hide-hidden': 'hide', '--skip-hidden': 'skip' };
const defaultTimeoutMs = 20_000;
const defaultMemoryMb = 512;

function integer(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function parseTarget(text: string, where: string): Target {
  if (text === 'exercises' || text === 'solutions') return text;
  throw new UsageError(`${where} must be 'exercises' or 'solutions', got ${JSON.stringify(text)}`);
}

/** Parses the grader's arguments (without `node grade.js`); throws UsageError. */
export function parseArguments(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const envTarget = env[targetVariable];
  const options: CliOptions = {
    topics: [],
    target: envTarget ? parseTarget(envTarget, targetVariable) : 'exercises',
    hidden: 'include',
    requireFull: false,
    requireZero: false,
    dir: path.join(distRoot, 'test', 'graded'),
    dirGiven: false,
    timeoutMs: defaultTimeoutMs,
    timeoutGiven: false,
    memoryMb: defaultMemoryMb,
    memoryGiven: false,
    verbose: false,
    help: false,
  };
  const hiddenSeen: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (!arg.startsWith('-') || arg === '-') {
      if (!options.topics.includes(arg)) options.topics.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals !== -1 ? arg.slice(0, equals) : arg;
    let value: string | undefined;
    if (valueFlags.has(flag)) {
      if (equals !== -1 && flag !== arg) value = arg.slice(equals + 1);
      else {
        value = argv[++index];
        if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      }
    } else if (flag !== arg) {
      throw new UsageError(`${flag} takes no value`);
    }
    switch (flag) {
      case '--target':
        options.target = parseTarget(value as string, '--target');
        break;
      case '--json':
        options.json = path.resolve(value as string);
        break;
      case '--test':
        options.testName = value as string;
        break;
      case '--seed':
        options.seed = integer('--seed', value as string, 0);
        break;
      case '--dir':
        options.dir = path.resolve(value as string);
        options.dirGiven = true;
        break;
      case '--impl-root':
        options.implementationRoot = path.resolve(value as string);
        break;
      case '--timeout-ms':
        options.timeoutMs = integer('--timeout-ms', value as string, 1);
        options.timeoutGiven = true;
        break;
      case '--memory-mb':
        options.memoryMb = integer('--memory-mb', value as string, 32);
        options.memoryGiven = true;
        break;
      case '--include-hidden':
      case '--hide-hidden':
      case '--skip-hidden':
        if (!hiddenSeen.includes(flag)) hiddenSeen.push(flag);
        options.hidden = hiddenFlags[flag];
        break;
      case '--require-full':
        options.requireFull = true;
        break;
      case '--require-zero':
        options.requireZero = true;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag} (see npm run grade -- --help)`);
    }
  }
  if (hiddenSeen.length > 1) throw new UsageError(`use only one of ${hiddenSeen.join(', ')}`);
  if (options.requireFull && options.requireZero) throw new UsageError('use only one of --require-full, --require-zero');
  return options;
}

/** The graded files in `dir`, by topic, in name order; a missing `dir` is an error only if `required`. */
export function discoverTopics(dir: string, required: boolean): Map<string, string> {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // tsc creates dist/test/graded only once test/graded holds a file: until then, no topics.
    if (required) throw new UsageError(`cannot read the folder ${relative(dir)} given by --dir`);
  }
  const topics = new Map<string, string>();
  for (const name of names.sort()) {
    if (name.endsWith('.graded.js')) topics.set(name.slice(0, -'.graded.js'.length), path.join(dir, name));
  }
  return topics;
}

function relative(file: string): string {
  const shown = path.relative(process.cwd(), file);
  return shown && !shown.startsWith('..') ? shown : file;
}

function replayFlags(options: CliOptions): string[] {
  const flags: string[] = [];
  if (options.dirGiven) flags.push('--dir', relative(options.dir));
  if (options.implementationRoot !== undefined) flags.push('--impl-root', relative(options.implementationRoot));
  if (options.timeoutGiven) flags.push('--timeout-ms', String(options.timeoutMs));
  if (options.memoryGiven) flags.push('--memory-mb', String(options.memoryMb));
  return flags;
}

/** Where a command line writes (tests pass their own). */
export interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const standardOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function progressLine(result: TestResult): string {
  const verdict = result.passed ? 'passed' : 'FAILED';
  return `  ${verdict} ${result.topic}: ${result.name} (${Math.round(result.durationMs)} ms)${result.passed ? '' : ` - ${summarize(result)}`}\n`;
}

function startTimes(run: FileRun): string {
  const times = run.childStartsMs.map((ms) => Math.round(ms));
  if (times.length === 0) return `${run.topic}: no test process loaded the file\n`;
  const mean = Math.round(times.reduce((sum, ms) => sum + ms, 0) / times.length);
  return `${run.topic}: ${times.length} test process${times.length === 1 ? '' : 'es'}, start + load ${times.join(', ')} ms (mean ${mean} ms)\n`;
}

/** Runs the grader; resolves to the exit status. */
export async function main(argv: string[], output: Output = standardOutput): Promise<number> {
  let options: CliOptions;
  let files: Map<string, string>;
  try {
    options = parseArguments(argv);
    if (options.help) {
      output.stdout(`${usage}\n`);
      return 0;
    }
    files = discoverTopics(options.dir, options.dirGiven);
    const unknown = options.topics.filter((topic) => !files.has(topic));
    if (unknown.length > 0) {
      const known = [...files.keys()];
      throw new UsageError(
        `unknown topic${unknown.length > 1 ? 's' : ''} ${unknown.map((topic) => `"${topic}"`).join(', ')}; ` +
          (known.length > 0 ? `known topics: ${known.join(', ')}` : `there are no graded files in ${relative(options.dir)}`),
      );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.stderr(`grade: ${error.message}\n`);
    return 2;
  }
  const selected = options.topics.length > 0 ? options.topics : [...files.keys()];
  const started = performance.now();
  const progress = options.verbose || process.stderr.isTTY === true;
  const runnerOptions: RunnerOptions = {
    target: options.target,
    skipHidden: options.hidden === 'skip',
    memoryMb: options.memoryMb,
    defaultTimeoutMs: options.timeoutMs,
    loadTimeoutMs: Math.max(30_000, options.timeoutMs),
    onResult: progress ? (result) => output.stderr(progressLine(result)) : undefined,
  };
  if (options.implementationRoot !== undefined) runnerOptions.implementationRoot = options.implementationRoot;
  if (options.seed !== undefined) runnerOptions.seed = options.seed;
  if (options.testName !== undefined) runnerOptions.testName = options.testName;
  if (selected.length === 0) output.stderr(`grade: no graded test files in ${relative(options.dir)}\n`);

  const runs: FileRun[] = [];
  for (const topic of selected) {
    const run = await runGradedFile(files.get(topic) as string, topic, runnerOptions);
    runs.push(run);
    if (options.verbose) output.stderr(startTimes(run));
  }
  const results = runs.flatMap((run) => run.results);
  if (options.testName !== undefined && results.length === 0) {
    const names = runs.flatMap((run) => run.testNames.map((name) => `  ${run.topic}: ${name}`));
    output.stderr(`grade: no test named "${options.testName}" in ${selected.join(', ')}; the tests are:\n${names.join('\n')}\n`);
    return 2;
  }

  const report: ReportOptions = { target: options.target, hidden: options.hidden, replayFlags: replayFlags(options) };
  const shown = shownResults(results, options.hidden);
  const lines: string[] = [`Grading ${selected.join(', ') || '(nothing)'} against ${options.target}/`];
  for (const result of shown) {
    const details = failureDetails(result, report);
    if (details.length > 0) lines.push('', ...details);
  }
  const sum = totals(shown);
  lines.push('', ...formatTable(shown), '');
  lines.push(`Total: ${formatPoints(sum.score)}/${formatPoints(sum.maxScore)} points`);
  const hiddenCount = results.length - shown.length;
  if (hiddenCount > 0) {
    const where = options.json ? 'recorded in the results file only' : 'not shown (--hide-hidden)';
    lines.push(`(${hiddenCount} hidden test${hiddenCount === 1 ? '' : 's'} also ran: ${where})`);
  }
  lines.push(`${sum.passed} passed, ${sum.failed} failed`);
  output.stdout(`${lines.join('\n')}\n`);

  if (options.json !== undefined) {
    const json = gradescopeResults(results, report, performance.now() - started);
    fs.mkdirSync(path.dirname(options.json), { recursive: true });
    fs.writeFileSync(options.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  if (options.requireFull) {
    const failed = results.filter((result) => !result.passed).length;
    if (failed > 0) {
      output.stderr(`grade: --require-full: ${failed} test${failed === 1 ? '' : 's'} did not pass\n`);
      return 1;
    }
  }
  if (options.requireZero) {
    const scoring = results.filter((result) => result.score > 0);
    if (scoring.length > 0) {
      output.stderr(`grade: --require-zero: ${scoring.length} test${scoring.length === 1 ? '' : 's'} earned points: ${scoring.map((result) => `${result.topic}: ${result.name}`).join('; ')}\n`);
      return 1;
    }
  }
  return 0;
}
