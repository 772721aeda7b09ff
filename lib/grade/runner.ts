/**
 * Runs one graded file in child processes, one test at a time, so that a learner's code that
 * throws, hangs, exhausts the heap or ends its process loses only the test it breaks.
 *
 * The parent drives: it sends `run` for the next test, starts that test's wall-clock limit,
 * and waits for the result, the deadline or the child's death. On a deadline it kills the
 * child; on either it records why, starts a fresh child and goes on with the remaining tests.
 */
import { ChildProcess, fork } from 'child_process';
import * as path from 'path';
import { BoundedText } from './capture';
import { ChildMessage, ExitNote, FailureInfo, ParentMessage, TestMeta, exitMarker } from './protocol';
import { Target } from './suite';
import { implementationRootVariable, targetVariable } from './target';

const childScript = path.join(__dirname, 'child.js');
const stderrLimitChars = 16_000;
const liveChildren = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** How to run graded files. */
export interface RunnerOptions {
  target: Target;
  /** Folder holding the compiled exercises/ and solutions/ (default: dist/). */
  implementationRoot?: string;
  /** Run every seed sweep with exactly this seed. */
  seed?: number;
  /** Run only the test with this exact name. */
  testName?: string;
  /** Leave hidden tests out altogether. */
  skipHidden: boolean;
  /** V8 old-space limit of a child, in MB. */
  memoryMb: number;
  /** Wall-clock limit of a test that does not set timeoutMs. */
  defaultTimeoutMs: number;
  /** Wall-clock limit for a child to load the graded file. */
  loadTimeoutMs: number;
  /** Called as each test finishes (for progress output). */
  onResult?: (result: TestResult) => void;
}

/** The outcome of one graded test. */
export interface TestResult {
  topic: string;
  name: string;
  points: number;
  hidden: boolean;
  description?: string;
  passed: boolean;
  score: number;
  durationMs: number;
  timeoutMs: number;
  failure?: FailureInfo;
  /** What the test printed (bounded). */
  output: string;
}

/** The outcome of one graded file. */
export interface FileRun {
  topic: string;
  file: string;
  results: TestResult[];
  /** Every test the file declares (to explain an unknown --test name). */
  testNames: string[];
  /** Milliseconds from fork to the loaded suite, for each child started. */
  childStartsMs: number[];
}

type ChildEvent =
  | { kind: 'message'; message: ChildMessage }
  | { kind: 'exit'; code: number | null; signal: string | null }
  | { kind: 'deadline' };

/** One child process and the events it produced, read in order by the runner. */
class Child {
  private readonly process: ChildProcess;
  private readonly events: ChildEvent[] = [];
  private wake: (() => void) | null = null;
  private partialLine = '';
  private exited = false;
  private readonly exitPromise: Promise<void>;
  /** What reached stderr since the current test started: forwarded output, V8's OOM report. */
  stderr = new BoundedText(stderrLimitChars);
  notes: ExitNote[] = [];

  constructor(file: string, topic: string, options: RunnerOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env, [targetVariable]: options.target };
    if (options.implementationRoot !== undefined) env[implementationRootVariable] = path.resolve(options.implementationRoot);
    this.process = fork(childScript, [file, topic], {
      execArgv: [`--max-old-space-size=${options.memoryMb}`, '--enable-source-maps'],
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    liveChildren.add(this.process);
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => this.onStderr(chunk));
    this.process.on('message', (message: ChildMessage) => this.push({ kind: 'message', message }));
    let markExited: () => void = () => undefined;
    this.exitPromise = new Promise((resolve) => {
      markExited = resolve;
    });
    const ended = (code: number | null, signal: string | null): void => {
      if (this.exited) return;
      this.exited = true;
      liveChildren.delete(this.process);
      this.flushStderr();
      this.push({ kind: 'exit', code, signal });
      markExited();
    };
    this.process.on('error', () => {
      // The fork itself failed (no pid, and no 'exit' will come); a failed kill changes nothing.
      if (this.process.pid === undefined) ended(null, null);
    });
    this.process.on('exit', (code, signal) => {
      // Let the rest of stderr (V8's out-of-memory report, an exit note) arrive first.
      const stderr = this.process.stderr;
      if (!stderr || stderr.readableEnded) return ended(code, signal);
      const timer = setTimeout(() => ended(code, signal), 300);
      stderr.once('end', () => {
        clearTimeout(timer);
        ended(code, signal);
      });
    });
  }

  private onStderr(chunk: string): void {
    const text = this.partialLine + chunk;
    const lastNewline = text.lastIndexOf('\n');
    let complete = lastNewline === -1 ? '' : text.slice(0, lastNewline + 1);
    this.partialLine = lastNewline === -1 ? text : text.slice(lastNewline + 1);
    if (this.partialLine.length > stderrLimitChars && !this.partialLine.includes(exitMarker)) {
      complete += this.partialLine;
      this.partialLine = '';
    }
    if (complete.includes(exitMarker)) {
      const kept: string[] = [];
      for (const line of complete.split('\n')) {
        const at = line.indexOf(exitMarker);
        if (at === -1) {
          kept.push(line);
          continue;
        }
        try {
          this.notes.push(JSON.parse(line.slice(at + exitMarker.length)) as ExitNote);
        } catch {
          // A torn note: the exit code or signal still tells the story.
        }
        kept.push(line.slice(0, at));
      }
      complete = kept.join('\n');
    }
    if (complete) this.stderr.append(complete);
  }

  private flushStderr(): void {
    if (this.partialLine) this.onStderr('\n');
  }

  private push(event: ChildEvent): void {
    this.events.push(event);
    if (this.wake) this.wake();
  }

  /** The next event, or a 'deadline' event once performance.now() passes `deadline`. */
  async next(deadline: number): Promise<ChildEvent> {
    while (this.events.length === 0) {
      const waitMs = deadline - performance.now();
      if (waitMs <= 0) return { kind: 'deadline' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, Math.ceil(waitMs));
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
    return this.events.shift() as ChildEvent;
  }

  send(message: ParentMessage): void {
    if (!this.exited && this.process.connected) this.process.send(message);
  }

  /** Starts a new test: stderr and exit notes from now on belong to it. */
  beginTest(): void {
    this.stderr = new BoundedText(stderrLimitChars);
    this.notes = [];
  }

  /** Kills the child (SIGKILL) and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.exited) this.process.kill('SIGKILL');
    await this.exitPromise;
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** The lines of V8's out-of-memory report start here; what comes before is the test's output. */
const oomReport = /<--- Last few GCs --->|FATAL ERROR: .*(heap|Allocation failed)/;

/** Why a child ended while running (or loading) a test. */
function explainExit(event: { code: number | null; signal: string | null }, child: Child, memoryMb: number): FailureInfo {
  const note = child.notes[child.notes.length - 1];
  const stderr = child.stderr.text();
  if (note && note.kind === 'exit') {
    return { kind: 'exit', message: `the code called process.exit(${note.code ?? ''}), which ended the test process`, where: note.where };
  }
  if (note && note.kind === 'kill') {
    const signal = note.signal && note.signal !== 'SIGTERM' ? `, '${note.signal}'` : '';
    return { kind: 'killed', message: `the code killed its own process with process.kill(process.pid${signal})`, where: note.where };
  }
  if (/JavaScript heap out of memory|Reached heap limit|Allocation failed/.test(stderr)) {
    return {
      kind: 'out-of-memory',
      message: `ran out of memory (limit ${memoryMb} MB)`,
      hint: 'something grows without bound: a log, a queue, a retry list or a recursion that is never trimmed',
    };
  }
  if (event.signal) {
    const system = event.signal === 'SIGKILL' ? ' (perhaps by the system, for using too much memory)' : '';
    return { kind: 'killed', message: `the test process was killed by signal ${event.signal}${system}` };
  }
  return {
    kind: 'exit',
    message: `the test process exited with code ${event.code} in the middle of the test (does the code call process.exit?)`,
  };
}

function capturedOutput(child: Child): string {
  const text = child.stderr.text();
  const cut = text.search(oomReport);
  return cut === -1 ? text : text.slice(0, cut);
}

function seededFailure(failure: FailureInfo, seed: number | undefined): FailureInfo {
  return seed === undefined || failure.seed !== undefined ? failure : { ...failure, seed };
}

type Loaded = { ok: true; tests: TestMeta[] } | { ok: false; failure: FailureInfo; output: string };

async function waitForSuite(child: Child, options: RunnerOptions): Promise<Loaded> {
  const deadline = performance.now() + options.loadTimeoutMs;
  child.beginTest();
  for (;;) {
    const event = await child.next(deadline);
    if (event.kind === 'message') {
      if (event.message.type === 'suite') return { ok: true, tests: event.message.tests };
      if (event.message.type === 'load-error') return { ok: false, failure: event.message.failure, output: event.message.output };
      continue;
    }
    if (event.kind === 'deadline') {
      await child.kill();
      return { ok: false, failure: { kind: 'load', message: `loading the graded file took longer than ${formatMs(options.loadTimeoutMs)}` }, output: capturedOutput(child) };
    }
    const why = explainExit(event, child, options.memoryMb);
    return { ok: false, failure: { ...why, kind: 'load' }, output: capturedOutput(child) };
  }
}

async function runOne(child: Child, topic: string, meta: TestMeta, options: RunnerOptions): Promise<{ result: TestResult; alive: boolean }> {
  const timeoutMs = meta.timeoutMs ?? options.defaultTimeoutMs;
  const base = { topic, name: meta.name, points: meta.points, hidden: meta.hidden, timeoutMs };
  const described = meta.description === undefined ? base : { ...base, description: meta.description };
  child.beginTest();
  const message: ParentMessage = options.seed === undefined ? { type: 'run', name: meta.name } : { type: 'run', name: meta.name, seed: options.seed };
  const sentAt = performance.now();
  child.send(message);
  const deadline = sentAt + timeoutMs;
  let seed: number | undefined;
  const lost = (failure: FailureInfo): TestResult => ({
    ...described,
    passed: false,
    score: 0,
    durationMs: performance.now() - sentAt,
    failure: seededFailure(failure, seed),
    output: capturedOutput(child),
  });
  for (;;) {
    const event = await child.next(deadline);
    if (event.kind === 'message') {
      const reply = event.message;
      if (reply.type === 'seed') seed = reply.seed;
      if (reply.type !== 'result' || reply.name !== meta.name) continue;
      const result: TestResult = { ...described, passed: reply.passed, score: reply.passed ? meta.points : 0, durationMs: reply.durationMs, output: reply.output };
      if (reply.failure) result.failure = reply.failure;
      return { result, alive: true };
    }
    if (event.kind === 'deadline') {
      await child.kill();
      return {
        alive: false,
        result: lost({
          kind: 'timeout',
          message: `timed out after ${formatMs(timeoutMs)}\nthe test was stopped: a loop that never ends, or a wait for something that never happens?`,
        }),
      };
    }
    return { alive: false, result: lost(explainExit(event, child, options.memoryMb)) };
  }
}

/** Runs the tests of one compiled graded file; always returns a result for every test it selected. */
export async function runGradedFile(file: string, topic: string, options: RunnerOptions): Promise<FileRun> {
  const run: FileRun = { topic, file, results: [], testNames: [], childStartsMs: [] };
  let pending: TestMeta[] | null = null;
  const record = (result: TestResult): void => {
    run.results.push(result);
    if (options.onResult) options.onResult(result);
  };
  while (pending === null || pending.length > 0) {
    const startedAt = performance.now();
    const child = new Child(file, topic, options);
    try {
      const loaded = await waitForSuite(child, options);
      if (!loaded.ok) {
        if (pending === null) {
          // The file itself is broken: one row says so (its tests and points are unknown).
          record({ topic, name: '(loading the graded file)', points: 0, hidden: false, passed: false, score: 0,
            durationMs: performance.now() - startedAt, timeoutMs: options.loadTimeoutMs, failure: loaded.failure, output: loaded.output });
        } else {
          for (const meta of pending) {
            record({ topic, name: meta.name, points: meta.points, hidden: meta.hidden, passed: false, score: 0, durationMs: 0,
              timeoutMs: meta.timeoutMs ?? options.defaultTimeoutMs, output: loaded.output,
              failure: { ...loaded.failure, message: `not run: restarting the test process failed: ${loaded.failure.message}` } });
          }
        }
        return run;
      }
      run.childStartsMs.push(performance.now() - startedAt);
      if (pending === null) {
        run.testNames = loaded.tests.map((test) => test.name);
        pending = loaded.tests.filter(
          (test) => (options.testName === undefined || test.name === options.testName) && !(options.skipHidden && test.hidden),
        );
      }
      while (pending.length > 0) {
        const outcome = await runOne(child, topic, pending[0], options);
        pending.shift();
        record(outcome.result);
        if (!outcome.alive) break;
      }
    } finally {
      await child.kill();
    }
  }
  return run;
}
