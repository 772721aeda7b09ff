/**
 * Compiling a learner's exercises (and an instructor's extra graded files) against the
 * project's compiled library, without compiling the library again: each gets a small tree
 *
 *     <tree>/exercises/*.ts    the course's stubs, overwritten by the learner's files
 *     <tree>/lib           ->  dist/lib (its .d.ts for the type check, its .js at run time)
 *     <tree>/node_modules  ->  the project's node_modules (@types/node, seedrandom, ...)
 *     <tree>/tsconfig.json     extends the project's tsconfig.json; emits next to the sources
 *
 * so `import { NotImplemented } from '../lib/grade'` in a learner's file resolves to the same
 * compiled module as the graded test's own import (Node follows the link to dist/lib), and
 * tsc type-checks only the learner's files. It emits even when they have type errors (those
 * are reported, not fatal), like tslab does in a notebook. The grader then runs with
 * `--impl-root <tree>`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FoundExercises, run } from './submissions';
import { distRoot, projectRoot } from './target';

/** What a compile did. */
export interface CompileResult {
  /** Error diagnostics tsc reported (type and syntax errors). */
  errors: number;
  /** tsc's output, file names relative to the tree (`exercises/paxos.ts(12,5): error TS2322: ...`). */
  output: string;
  /** tsc could not run, crashed or was stopped at its time limit. */
  failed: boolean;
  ms: number;
}

/** Where the course's own files are. */
export const courseFiles = {
  stubs: path.join(projectRoot, 'exercises'),
  tsc: path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
  tsconfig: path.join(projectRoot, 'tsconfig.json'),
  nodeModules: path.join(projectRoot, 'node_modules'),
};

/** The course's exercise files ('paxos.ts', ...), as named in exercises/. */
export function exerciseFileNames(): string[] {
  return fs
    .readdirSync(courseFiles.stubs)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .sort();
}

function link(target: string, linkPath: string): void {
  fs.rmSync(linkPath, { recursive: true, force: true });
  fs.symlinkSync(target, linkPath, 'junction');
}

/** Copies the .ts files of `from` into `to` (subfolders too when `recursive`), skipping symbolic links. */
function copySources(from: string, to: string, recursive: boolean, prefix = ''): string[] {
  const copied: string[] = [];
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      fs.copyFileSync(path.join(from, entry.name), path.join(to, entry.name));
      copied.push(prefix + entry.name);
    } else if (recursive && entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
      copied.push(...copySources(path.join(from, entry.name), path.join(to, entry.name), true, `${prefix}${entry.name}/`));
    }
  }
  return copied.sort();
}

function writeTsconfig(tree: string, include: string[]): void {
  const config = {
    extends: courseFiles.tsconfig,
    compilerOptions: {
      rootDir: '.',
      outDir: '.',
      incremental: false,
      declaration: false,
      noEmitOnError: false,
      sourceMap: true,
    },
    include,
    exclude: ['node_modules', 'lib'],
  };
  fs.writeFileSync(path.join(tree, 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Builds a learner's tree in `tree` (created empty): the course's stubs first, so that a file
 * the learner did not hand in is graded as the untouched stub, then the learner's files over
 * them. Returns the learner's files and the exercises left as stubs.
 */
export function prepareSubmissionTree(tree: string, found: FoundExercises): { fromStudent: string[]; stubbed: string[] } {
  fs.rmSync(tree, { recursive: true, force: true });
  const exercises = path.join(tree, 'exercises');
  const stubs = copySources(courseFiles.stubs, exercises, true);
  const fromStudent = found.dir === null ? [] : copySources(found.dir, exercises, path.basename(found.dir) === 'exercises');
  link(path.join(distRoot, 'lib'), path.join(tree, 'lib'));
  link(courseFiles.nodeModules, path.join(tree, 'node_modules'));
  writeTsconfig(tree, ['exercises']);
  const stubbed = stubs.filter((file) => file !== 'index.ts' && !fromStudent.includes(file));
  return { fromStudent, stubbed };
}

/**
 * Builds the tree for an instructor's extra graded files kept outside the repository: they
 * go to `<tree>/test/graded/`, with lib/, exercises/ and solutions/ linked to dist/, so a file
 * written beside the course's own graded files (`import ... from '../../lib/grade'`,
 * `typeof import('../../solutions/paxos')`) compiles here unchanged. Returns the file names.
 */
export function prepareTestsTree(tree: string, testsDir: string): string[] {
  fs.rmSync(tree, { recursive: true, force: true });
  const graded = path.join(tree, 'test', 'graded');
  const files = copySources(testsDir, graded, false).filter((name) => name.endsWith('.graded.ts'));
  for (const dir of ['lib', 'exercises', 'solutions']) link(path.join(distRoot, dir), path.join(tree, dir));
  link(courseFiles.nodeModules, path.join(tree, 'node_modules'));
  writeTsconfig(tree, ['test/graded']);
  return files;
}

/** Runs tsc on a tree built above. */
export async function compileTree(tree: string, timeoutMs = 120_000): Promise<CompileResult> {
  const started = performance.now();
  const result = await run(process.execPath, [courseFiles.tsc, '-p', 'tsconfig.json', '--pretty', 'false'], timeoutMs, tree);
  const output = result.output.replace(/\s+$/, '');
  const errors = (output.match(/error TS\d+/g) ?? []).length;
  // tsc exits 0 (clean) or 2 (errors, files emitted); anything else means it did not finish.
  const failed = result.timedOut || result.missing || (result.status !== 0 && result.status !== 2);
  const why = result.timedOut ? `\ntsc was stopped after ${Math.round(timeoutMs / 1000)} s` : failed ? `\ntsc ended with status ${result.status}` : '';
  return { errors, output: output + why, failed, ms: performance.now() - started };
}
