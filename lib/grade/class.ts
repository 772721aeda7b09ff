/**
 * Grading a whole class: `npm run grade:class -- SUBMISSIONS --out RESULTS [topic ...]`
 * (scripts/grade-class.ts). For each learner's folder or zip it finds their exercises
 * (submissions.ts), compiles them against the compiled library (compile.ts), runs the graded
 * files with the same runner as `npm run grade` (runner.ts, with --impl-root set to the
 * learner's tree), and writes `RESULTS/<learner>.json` in Gradescope's format, then one
 * `RESULTS/summary.csv` for the class.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Output, UsageError, discoverTopics, standardOutput } from './cli';
import { compileTree, courseFiles, exerciseFileNames, prepareSubmissionTree, prepareTestsTree } from './compile';
import { GradescopeResults, ReportOptions, formatPoints, gradescopeResults, totals } from './report';
import { RunnerOptions, TestResult, runGradedFile } from './runner';
import { Submission, extractZip, findExercises, listSubmissions } from './submissions';
import { distRoot } from './target';

export const classUsage = `usage: npm run grade:class -- SUBMISSIONS --out RESULTS [topic ...] [options]

Grades every learner's submission in the folder SUBMISSIONS and writes, in RESULTS,
one <learner>.json (Gradescope's results.json) per learner and summary.csv for the class.

A submission is a folder or a .zip in SUBMISSIONS, named after the learner. Its exercise
files are taken from the first exercises/ folder inside (a copy of the whole repository
works), or else from the folder holding files named like the exercises (paxos.ts, ...).
An exercise it lacks is graded as the untouched stub. The files are compiled against the
compiled library; type errors are recorded in the results file's "output" and the code
runs anyway. Hidden tests run and are recorded with "visibility": "hidden".

  topic ...              only these topics (default: all); an extra file from --tests
                         runs when it is named <topic>-<anything>.graded.ts
  --out RESULTS          where the results go (required; created if missing)
  --tests DIR            also compile and run the instructor's *.graded.ts in DIR (kept
                         outside the learners' repository; written like test/graded/*.ts)
  --jobs N               grade N submissions at once (default 1; each test has a
                         wall-clock limit, so stay at or below the number of cores)
  --only NAME            grade only this learner (repeatable)
  --skip-hidden          do not run hidden tests (a learner's view)
  --timeout-ms MS        wall-clock limit of a test that sets no timeoutMs (default 20000)
  --memory-mb MB         heap limit of each test process (default 512)
  --keep-build           keep the compiled trees (their folder is printed)
  --help                 this text

Exit status: 0 when every submission got its results file, 1 when some could not be
graded (the message says why), 2 for bad arguments.`;

/** The options of a class run. */
export interface ClassOptions {
  submissions: string;
  out: string;
  topics: string[];
  testsDir?: string;
  jobs: number;
  only: string[];
  skipHidden: boolean;
  timeoutMs: number;
  memoryMb: number;
  keepBuild: boolean;
  help: boolean;
}

const valueFlags = new Set(['--out', '--tests', '--jobs', '--only', '--timeout-ms', '--memory-mb']);

function integer(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses the arguments of `grade:class` (without `node grade-class.js`); throws UsageError. */
export function parseClassArguments(argv: string[]): ClassOptions {
  const options: ClassOptions = { submissions: '', out: '', topics: [], jobs: 1, only: [], skipHidden: false, timeoutMs: 20_000, memoryMb: 512, keepBuild: false, help: false };
  const words: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals !== -1 ? arg.slice(0, equals) : arg;
    let value = '';
    if (valueFlags.has(flag)) {
      if (flag !== arg) value = arg.slice(equals + 1);
      else {
        const next = argv[++index];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
        value = next;
      }
    } else if (flag !== arg) {
      throw new UsageError(`${flag} takes no value`);
    }
    switch (flag) {
      case '--out':
        options.out = path.resolve(value);
        break;
      case '--tests':
        options.testsDir = path.resolve(value);
        break;
      case '--jobs':
        options.jobs = integer('--jobs', value, 1);
        break;
      case '--only':
        options.only.push(value);
        break;
      case '--skip-hidden':
        options.skipHidden = true;
        break;
      case '--timeout-ms':
        options.timeoutMs = integer('--timeout-ms', value, 1);
        break;
      case '--memory-mb':
        options.memoryMb = integer('--memory-mb', value, 32);
        break;
      case '--keep-build':
        options.keepBuild = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag} (see npm run grade:class -- --help)`);
    }
  }
  if (options.help) return options;
  if (words.length === 0) throw new UsageError('give the folder of submissions first (see --help)');
  options.submissions = path.resolve(words[0]);
  for (const topic of words.slice(1)) if (!options.topics.includes(topic)) options.topics.push(topic);
  if (!options.out) throw new UsageError('--out RESULTS is required: the folder for the results files');
  if (!isDirectory(options.submissions)) throw new UsageError(`${words[0]} is not a folder of submissions`);
  if (options.testsDir !== undefined && !isDirectory(options.testsDir)) throw new UsageError(`--tests ${options.testsDir} is not a folder`);
  if (options.out === options.submissions) throw new UsageError('--out must not be the folder of submissions');
  return options;
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** A graded file to run on every submission. */
interface GradedFile {
  topic: string;
  file: string;
}

/** What the class run tells about one learner, for the summary. */
export interface StudentSummary {
  student: string;
  score: number;
  maxScore: number;
  byTopic: Map<string, number>;
  /** Points possible per topic (the same for every learner, as long as each graded file loads). */
  maxByTopic: Map<string, number>;
  compileErrors: number;
  note: string;
}

/** The graded files: the course's (dist/test/graded), then the instructor's extra ones. */
async function gradedFiles(options: ClassOptions, work: string): Promise<GradedFile[]> {
  const course = discoverTopics(path.join(distRoot, 'test', 'graded'), false);
  const unknown = options.topics.filter((topic) => !course.has(topic));
  if (unknown.length > 0) throw new UsageError(`unknown topic${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known topics: ${[...course.keys()].join(', ')}`);
  const selected = (topic: string): boolean => options.topics.length === 0 || options.topics.some((t) => topic === t || topic.startsWith(`${t}-`));
  const files: GradedFile[] = [...course].filter(([topic]) => selected(topic)).map(([topic, file]) => ({ topic, file }));
  if (options.testsDir === undefined) return files;
  const tree = path.join(work, '_tests');
  const names = prepareTestsTree(tree, options.testsDir);
  if (names.length === 0) throw new UsageError(`--tests ${options.testsDir} holds no *.graded.ts file`);
  const clashes = names.map((name) => name.slice(0, -'.graded.ts'.length)).filter((topic) => course.has(topic));
  if (clashes.length > 0) {
    throw new UsageError(`--tests: ${clashes.map((t) => `${t}.graded.ts`).join(', ')} has the name of a course topic; name it ${clashes[0]}-hidden.graded.ts or similar`);
  }
  const compiled = await compileTree(tree);
  if (compiled.errors > 0 || compiled.failed) {
    throw new UsageError(`the graded files in --tests do not compile:\n${compiled.output.replace(/^test\/graded\//gm, `${options.testsDir}${path.sep}`)}`);
  }
  for (const name of names) {
    const topic = name.slice(0, -'.graded.ts'.length);
    if (selected(topic)) files.push({ topic, file: path.join(tree, 'test', 'graded', `${topic}.graded.js`) });
  }
  return files;
}

/** Replaces the tree's absolute path in the report by nothing, so paths read `exercises/paxos.ts:12:5`. */
function withoutTree(text: string, tree: string): string {
  let result = text;
  for (const prefix of new Set([tree, fs.realpathSync(tree)])) result = result.split(prefix + path.sep).join('');
  return result;
}

/** Grades one submission; always writes `<out>/<student>.json`. */
async function gradeSubmission(submission: Submission, files: GradedFile[], options: ClassOptions, work: string): Promise<StudentSummary> {
  const started = performance.now();
  const tree = path.join(work, submission.student);
  const lines: string[] = [];
  let compileErrors = 0;
  let note = '';
  let root = submission.source;
  if (submission.kind === 'zip') {
    root = path.join(work, '_unzipped', submission.student);
    const problem = await extractZip(submission.source, root);
    if (problem !== null) {
      lines.push(problem);
      note = 'zip not unpacked';
    }
  }
  const found = findExercises(root, exerciseFileNames());
  if (found.dir === null && note === '') note = 'no exercise files';
  const built = prepareSubmissionTree(tree, found);
  lines.push(found.note + (built.fromStudent.length > 0 ? `: ${built.fromStudent.join(', ')}` : ''));
  if (built.stubbed.length > 0) lines.push(`not handed in, graded as the untouched stub: ${built.stubbed.join(', ')}`);
  const compiled = await compileTree(tree);
  compileErrors = compiled.errors;
  if (compiled.failed && note === '') note = 'tsc did not finish';
  lines.push(
    compiled.errors === 0 && !compiled.failed
      ? `compiled without errors in ${(compiled.ms / 1000).toFixed(1)} s`
      : `compile: ${compiled.errors} error${compiled.errors === 1 ? '' : 's'} (the code ran anyway, as emitted):\n${compiled.output}`,
  );

  const runnerOptions: RunnerOptions = {
    target: 'exercises',
    implementationRoot: tree,
    skipHidden: options.skipHidden,
    memoryMb: options.memoryMb,
    defaultTimeoutMs: options.timeoutMs,
    loadTimeoutMs: Math.max(30_000, options.timeoutMs),
  };
  const results: TestResult[] = [];
  for (const graded of files) {
    const run = await runGradedFile(graded.file, graded.topic, runnerOptions);
    results.push(...run.results);
  }
  const report: ReportOptions = { target: 'exercises', hidden: options.skipHidden ? 'skip' : 'include', replayFlags: [] };
  const json: GradescopeResults = gradescopeResults(results, report, performance.now() - started);
  for (const test of json.tests) test.output = withoutTree(test.output, tree);
  json.output = [`${submission.student}: ${json.output}`, ...lines].join('\n');
  fs.writeFileSync(path.join(options.out, `${submission.student}.json`), `${JSON.stringify(json, null, 2)}\n`);

  const byTopic = new Map<string, number>();
  const maxByTopic = new Map<string, number>();
  for (const result of results) {
    byTopic.set(result.topic, (byTopic.get(result.topic) ?? 0) + result.score);
    maxByTopic.set(result.topic, (maxByTopic.get(result.topic) ?? 0) + result.points);
  }
  const sum = totals(results);
  return { student: submission.student, score: sum.score, maxScore: sum.maxScore, byTopic, maxByTopic, compileErrors, note };
}

/** A results file for a submission the grader itself could not handle (a bug, a full disk). */
function writeFailure(submission: Submission, options: ClassOptions, error: unknown): StudentSummary {
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  const json: GradescopeResults = { score: 0, max_score: 0, execution_time: 0, output: `${submission.student}: not graded: ${message}`, tests: [] };
  try {
    fs.writeFileSync(path.join(options.out, `${submission.student}.json`), `${JSON.stringify(json, null, 2)}\n`);
  } catch {
    // The summary still names the learner.
  }
  return { student: submission.student, score: 0, maxScore: 0, byTopic: new Map(), maxByTopic: new Map(), compileErrors: 0, note: `not graded: ${error instanceof Error ? error.message : String(error)}` };
}

function csvField(value: string | number): string {
  const text = typeof value === 'number' ? formatPoints(value) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * summary.csv: one row per learner (student, total, max, then the points per topic, the
 * number of compile errors and a note), and a first row `(max)` with the points possible.
 */
export function summaryCsv(summaries: StudentSummary[], topics: string[], maxByTopic: Map<string, number>): string {
  const maxTotal = [...maxByTopic.values()].reduce((sum, points) => sum + points, 0);
  const header = ['student', 'total', 'max', ...topics, 'compile_errors', 'note'];
  const rows = [header.map(csvField).join(',')];
  rows.push(['(max)', maxTotal, maxTotal, ...topics.map((topic) => maxByTopic.get(topic) ?? 0), '', ''].map(csvField).join(','));
  for (const s of summaries) {
    const cells = [s.student, s.score, s.maxScore, ...topics.map((topic) => s.byTopic.get(topic) ?? 0), String(s.compileErrors), s.note];
    rows.push(cells.map(csvField).join(','));
  }
  return `${rows.join('\n')}\n`;
}

/** Runs `work` on every item, at most `jobs` at a time, in order of the items. */
async function pool<T>(items: T[], jobs: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}


/**
 * Runs the class grader; resolves to the exit status.
 *
 * @example
 *   // npm run grade:class -- ~/hw1 --out ~/hw1-results paxos --tests ~/hidden-tests --jobs 2
 *   await main(['hw1', '--out', 'hw1-results', 'paxos']);
 */
export async function main(argv: string[], output: Output = standardOutput): Promise<number> {
  let options: ClassOptions;
  try {
    options = parseClassArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.stderr(`grade:class: ${error.message}\n`);
    return 2;
  }
  if (options.help) {
    output.stdout(`${classUsage}\n`);
    return 0;
  }
  if (!fs.existsSync(courseFiles.tsc)) {
    output.stderr('grade:class: TypeScript is not installed here (node_modules/typescript). Run `npm install` first.\n');
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'consensus-lab-class-'));
  const cleanUp = (): void => {
    if (!options.keepBuild) fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  try {
    let files: GradedFile[];
    let submissions: Submission[];
    try {
      files = await gradedFiles(options, work);
      const listed = listSubmissions(options.submissions, [options.out]);
      for (const skipped of listed.skipped) output.stderr(`grade:class: skipped ${skipped}\n`);
      submissions = listed.submissions;
      const missing = options.only.filter((name) => !submissions.some((s) => s.student === name));
      if (missing.length > 0) throw new UsageError(`--only: no submission named ${missing.join(', ')} in ${options.submissions}`);
      if (options.only.length > 0) submissions = submissions.filter((s) => options.only.includes(s.student));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      output.stderr(`grade:class: ${error.message}\n`);
      return 2;
    }
    fs.mkdirSync(options.out, { recursive: true });
    const topics = files.map((file) => file.topic);
    output.stdout(`Grading ${submissions.length} submission${submissions.length === 1 ? '' : 's'} in ${options.submissions} on ${topics.join(', ') || '(no graded files)'}, ${options.jobs} at a time\n`);
    const summaries: StudentSummary[] = new Array(submissions.length);
    const maxByTopic = new Map<string, number>();
    let failures = 0;
    let done = 0;
    await pool(submissions, options.jobs, async (submission, index) => {
      const started = performance.now();
      let summary: StudentSummary;
      try {
        summary = await gradeSubmission(submission, files, options, work);
        for (const [topic, max] of summary.maxByTopic) maxByTopic.set(topic, Math.max(max, maxByTopic.get(topic) ?? 0));
      } catch (error) {
        failures++;
        summary = writeFailure(submission, options, error);
      }
      summaries[index] = summary;
      done++;
      const compile = summary.compileErrors > 0 ? `, ${summary.compileErrors} compile error${summary.compileErrors === 1 ? '' : 's'}` : '';
      const note = summary.note ? ` (${summary.note})` : '';
      output.stdout(`[${done}/${submissions.length}] ${submission.student}: ${formatPoints(summary.score)}/${formatPoints(summary.maxScore)} points${compile}${note} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    });
    fs.writeFileSync(path.join(options.out, 'summary.csv'), summaryCsv(summaries, topics, maxByTopic));
    output.stdout(`Wrote ${submissions.length} results file${submissions.length === 1 ? '' : 's'} and summary.csv to ${options.out}\n`);
    if (options.keepBuild) output.stdout(`Compiled trees kept in ${work}\n`);
    return failures > 0 ? 1 : 0;
  } finally {
    process.removeListener('exit', cleanUp);
    cleanUp();
  }
}

