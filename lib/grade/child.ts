/**
 * The child process that runs one graded file for the grader (lib/grade/runner.ts forks it).
 *
 * It loads the file, reports the suite, then runs one test per `run` message and reports the
 * result as soon as the test settles. Whatever the learner's code prints is captured per test
 * (bounded); process.exit and process.kill on itself are noted on stderr before they take
 * effect, so the parent can say which test ended the process and where. Hangs, heap exhaustion
 * and crashes are the parent's business: it kills or loses this process and starts another.
 *
 * Usage (by the grader only): node child.js <graded-file.js> <topic>
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import { Worker } from 'worker_threads';
import { BoundedText } from './capture';
import { describeFailure } from './describe';
import { ChildMessage, ExitNote, FailureInfo, ParentMessage, TestMeta, exitMarker } from './protocol';
import { pickFrames, studentFolders } from './stack';
import { GradedContext, GradedSuite, gradedSuite, isGradedSuite } from './suite';
import { currentTarget, implementationRoot, projectRoot } from './target';

/** Captured output kept per test, in characters. */
const outputLimitChars = 16_000;
/**
 * The first characters a test prints are also written straight to stderr, which the parent
 * reads: if the test then hangs or kills its process, its output is not lost with it.
 */
const forwardLimitChars = 8_000;
let forwardBudget = forwardLimitChars;

const output = new BoundedText(outputLimitChars);
const folders = studentFolders(implementationRoot(), currentTarget());
let abortCurrent: ((error: unknown) => void) | null = null;

function send(message: ChildMessage): void {
  if (process.send && process.connected) process.send(message);
}

function captureStream(stream: NodeJS.WriteStream): void {
  stream.write = function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    output.append(text);
    forward(text);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  } as typeof stream.write;
}

function forward(text: string): void {
  if (forwardBudget <= 0) return;
  const part = text.slice(0, forwardBudget);
  forwardBudget -= part.length;
  try {
    fs.writeSync(2, part);
  } catch {
    // A full pipe: the result message still carries the output.
  }
}

function noteExit(note: ExitNote): void {
  try {
    fs.writeSync(2, `${exitMarker}${JSON.stringify(note)}\n`);
  } catch {
    // The parent falls back to the exit code or signal.
  }
}

function guardProcess(): void {
  const realExit = process.exit.bind(process);
  process.exit = function exit(code?: number | string | null): never {
    const shown = code ?? process.exitCode ?? 0;
    noteExit({ kind: 'exit', code: Number(shown), where: pickFrames(new Error().stack, folders) });
    return realExit(code as number);
  } as typeof process.exit;
  const realKill = process.kill.bind(process);
  process.kill = function kill(pid: number, signal?: string | number): true {
    if (Number(pid) === process.pid && signal !== 0) {
      noteExit({ kind: 'kill', signal: String(signal ?? 'SIGTERM'), where: pickFrames(new Error().stack, folders) });
    }
    return realKill(pid, signal);
  } as typeof process.kill;
  const onStray = (error: unknown): void => {
    if (abortCurrent) abortCurrent(error);
    else output.append(`[an error was thrown outside any test: ${util.inspect(error)}]\n`);
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
}

function seedList(defaultCount: number, fixedSeed: number | undefined, onSeed: (seed: number) => void): number[] {
  if (!Number.isInteger(defaultCount) || defaultCount < 1) {
    throw new Error(`ctx.seeds(defaultCount): defaultCount must be an integer >= 1, got ${String(defaultCount)}`);
  }
  const seeds: number[] = [];
  if (fixedSeed !== undefined) seeds.push(fixedSeed);
  else for (let seed = 1; seed <= defaultCount; seed++) seeds.push(seed);
  // for...of reports each seed as it starts, so a crash or a hang names its seed.
  const plain = seeds.slice();
  Object.defineProperty(seeds, Symbol.iterator, {
    value: function* iterate(): Generator<number> {
      for (const seed of plain) {
        onSeed(seed);
        yield seed;
      }
    },
  });
  return seeds;
}

async function runTest(suite: GradedSuite, message: ParentMessage): Promise<void> {
  const test = suite.tests.find((candidate) => candidate.name === message.name);
  output.clear();
  forwardBudget = forwardLimitChars;
  if (!test) {
    send({ type: 'result', name: message.name, passed: false, durationMs: 0, output: '',
      failure: { kind: 'load', message: `no test named "${message.name}" in ${suite.topic}` } });
    return;
  }
  let currentSeed: number | undefined;
  const ctx: GradedContext = {
    target: currentTarget(),
    topic: suite.topic,
    testName: test.name,
    seeds: (defaultCount) =>
      seedList(defaultCount, message.seed, (seed) => {
        currentSeed = seed;
        send({ type: 'seed', seed });
      }),
    log: (...args) => {
      const line = `${util.format(...args)}\n`;
      output.append(line);
      forward(line);
    },
  };
  const started = performance.now();
  let failure: FailureInfo | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      abortCurrent = reject;
      Promise.resolve()
        .then(() => test.run(ctx))
        .then(() => resolve(), reject);
    });
  } catch (error) {
    failure = describeFailure(error, currentSeed, folders);
  } finally {
    abortCurrent = null;
  }
  const durationMs = performance.now() - started;
  send({ type: 'result', name: test.name, passed: failure === undefined, failure, durationMs, output: output.text() });
}

function loadSuite(file: string, topic: string): GradedSuite {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const loaded = require(file) as { default?: unknown };
  const candidate = loaded && loaded.default !== undefined ? loaded.default : loaded;
  const shown = path.relative(projectRoot, file);
  if (!isGradedSuite(candidate)) throw new Error(`${shown} must default-export gradedSuite(topic, tests)`);
  if (candidate.topic !== topic) {
    throw new Error(`${shown} declares topic '${candidate.topic}'; a graded file's topic must match its file name ('${topic}')`);
  }
  return gradedSuite(candidate.topic, candidate.tests);
}

/**
 * If the grader dies without killing this process (SIGKILL, a CI job cancelled), a learner's
 * endless loop would spin on forever: a watchdog thread notices that the parent changed and
 * kills the process. It costs about 4 ms at start.
 */
function watchParent(): void {
  const source = `const { workerData } = require('worker_threads');
setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL'); }, 500);`;
  const watchdog = new Worker(source, { eval: true, workerData: { ppid: process.ppid } });
  watchdog.unref();
}

function main(): void {
  const [file, topic] = process.argv.slice(2);
  if (!process.send || !file || !topic) {
    process.stderr.write('lib/grade/child.js is started by the grader: npm run grade\n');
    process.exitCode = 2;
    return;
  }
  watchParent();
  Error.stackTraceLimit = 30;
  captureStream(process.stdout);
  captureStream(process.stderr);
  guardProcess();
  let suite: GradedSuite;
  try {
    suite = loadSuite(path.resolve(file), topic);
  } catch (error) {
    const failure = describeFailure(error, undefined, folders);
    send({ type: 'load-error', failure: { ...failure, kind: 'load' }, output: output.text() });
    return;
  }
  const tests: TestMeta[] = suite.tests.map((test) => {
    const meta: TestMeta = { name: test.name, points: test.points, hidden: test.hidden === true };
    if (test.description !== undefined) meta.description = test.description;
    if (test.timeoutMs !== undefined) meta.timeoutMs = test.timeoutMs;
    return meta;
  });
  process.on('message', (message: ParentMessage) => {
    if (message && message.type === 'run') void runTest(suite, message);
  });
  send({ type: 'suite', topic: suite.topic, tests });
}

main();
