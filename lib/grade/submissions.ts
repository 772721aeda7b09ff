/**
 * A class's submissions, as `npm run grade:class` reads them: one folder (or one .zip) per
 * learner, named after them, holding their `exercises/*.ts` somewhere inside (a copy of the
 * whole repository works too), or the exercise files themselves (a flat upload such as
 * Gradescope's). This file only finds and unpacks them; compile.ts builds and compiles them.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** One learner's submission: a folder, or a .zip to unpack first. */
export interface Submission {
  /** The folder's name, or the zip's name without `.zip`; names the results file. */
  student: string;
  /** Absolute path of the folder or the zip. */
  source: string;
  kind: 'folder' | 'zip';
}

/** Where a submission's exercise files were found. */
export interface FoundExercises {
  /** The folder holding them, or null when there are none. */
  dir: string | null;
  /** The .ts files in `dir` (names only), sorted. */
  files: string[];
  /** Said in the results file: which folder was used and why. */
  note: string;
}

/** Folders never searched for exercises: installed or built copies, not the learner's source. */
const skippedFolders = new Set(['node_modules', 'dist', 'out', '.git', '.venv', '.jupyter', '__MACOSX']);
const maxSearchDepth = 6;

/**
 * The submissions in `dir`: every folder and every `.zip`, by name, leaving out hidden entries
 * and `exclude` (the results folder, when it is inside). A folder and a zip with the same name:
 * the folder wins and the zip is listed in `skipped`.
 *
 * @example
 *   listSubmissions('submissions').submissions.map((s) => s.student); // ['alice', 'bob']
 */
export function listSubmissions(dir: string, exclude: string[] = []): { submissions: Submission[]; skipped: string[] } {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const byStudent = new Map<string, Submission>();
  const skipped: string[] = [];
  const excluded = new Set(exclude.map((file) => path.resolve(file)));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('.') || excluded.has(full)) continue;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(full));
    if (isDir) {
      byStudent.set(entry.name, { student: entry.name, source: full, kind: 'folder' });
    } else if (!/^.+\.zip$/i.test(entry.name)) {
      skipped.push(`${entry.name} (neither a folder nor a .zip)`);
    }
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (!/^.+\.zip$/i.test(entry.name) || entry.name.startsWith('.') || excluded.has(full) || isDirectory(full)) continue;
    const student = entry.name.slice(0, -4);
    if (byStudent.has(student)) {
      skipped.push(`${entry.name} (the folder ${student}/ is graded instead)`);
      continue;
    }
    byStudent.set(student, { student, source: full, kind: 'zip' });
  }
  const submissions = [...byStudent.values()].sort((a, b) => a.student.localeCompare(b.student));
  return { submissions, skipped };
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function sourceFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Finds the learner's exercise files under `root`: the shallowest folder named `exercises`
 * that holds .ts files; failing that, the shallowest folder holding a file named like one of
 * the course's exercises (`knownFiles`, e.g. 'paxos.ts'), for uploads of the bare files.
 * Symbolic links are not followed, and node_modules/, dist/, .git/ and the like are skipped.
 */
export function findExercises(root: string, knownFiles: readonly string[]): FoundExercises {
  const exercisesDirs: string[] = [];
  const flatDirs: string[] = [];
  let level = [root];
  for (let depth = 0; depth <= maxSearchDepth && level.length > 0 && exercisesDirs.length === 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
      } catch {
        continue;
      }
      if (sourceFiles(dir).some((file) => knownFiles.includes(file))) flatDirs.push(dir);
      for (const entry of entries) {
        if (!entry.isDirectory() || skippedFolders.has(entry.name) || entry.name.startsWith('.')) continue;
        const child = path.join(dir, entry.name);
        if (entry.name === 'exercises' && sourceFiles(child).length > 0) exercisesDirs.push(child);
        next.push(child);
      }
    }
    level = next;
  }
  const shown = (dir: string): string => path.relative(root, dir) || '.';
  if (exercisesDirs.length > 0) {
    const dir = exercisesDirs[0];
    const others = exercisesDirs.length > 1 ? `; also found ${exercisesDirs.slice(1).map(shown).join(', ')}, not used` : '';
    return { dir, files: sourceFiles(dir), note: `exercises from ${shown(dir)}/${others}` };
  }
  if (flatDirs.length > 0) {
    const dir = flatDirs[0];
    return { dir, files: sourceFiles(dir), note: `no exercises/ folder; exercise files from ${shown(dir)}/` };
  }
  return { dir: null, files: [], note: 'no exercises/ folder and no exercise files (such as paxos.ts) in the submission' };
}

/**
 * Unpacks a zip into `dest` with `unzip`, or Python's zipfile module where unzip is missing.
 * Resolves to null on success, or to what went wrong.
 */
export async function extractZip(zip: string, dest: string, timeoutMs = 60_000): Promise<string | null> {
  fs.mkdirSync(dest, { recursive: true });
  const attempts: [string, string[]][] = [
    ['unzip', ['-q', '-o', zip, '-d', dest]],
    [process.env.PYTHON || 'python3', ['-m', 'zipfile', '-e', zip, dest]],
  ];
  const problems: string[] = [];
  for (const [command, args] of attempts) {
    const result = await run(command, args, timeoutMs);
    if (result.missing) {
      problems.push(`${command} is not installed`);
      continue;
    }
    if (result.status === 0) return null;
    return `${command} could not unpack ${path.basename(zip)}: ${result.output.trim().split('\n').slice(-3).join(' ') || `exit status ${result.status}`}`;
  }
  return `cannot unpack ${path.basename(zip)}: ${problems.join(', ')}`;
}

/** Runs a command; resolves with its exit status and output (stdout and stderr together). */
export function run(command: string, args: string[], timeoutMs: number, cwd?: string): Promise<{ status: number | null; output: string; missing: boolean; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const append = (chunk: Buffer): void => {
      if (output.length < 200_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ status: null, output: error.message, missing: error.code === 'ENOENT', timedOut });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output, missing: false, timedOut });
    });
  });
}
