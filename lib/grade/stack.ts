/**
 * Picks the stack frames a learner should look at: those in their own files (exercises/ or
 * solutions/, before or after source mapping), with paths relative to the project root.
 */
import * as path from 'path';
import { distRoot, projectRoot } from './target';

const framePattern = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

interface Frame {
  fn: string;
  file: string;
  line: string;
  column: string;
}

function parseFrames(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const match = framePattern.exec(line);
    if (match) frames.push({ fn: match[1] ?? '', file: match[2], line: match[3], column: match[4] });
  }
  return frames;
}

/** The folders the learner's code lives in: compiled, and (with source maps) the .ts sources. */
export function studentFolders(implementationRoot: string, target: string): string[] {
  const compiled = path.join(implementationRoot, target);
  const folders = [compiled];
  const relative = path.relative(distRoot, compiled);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) folders.push(path.join(projectRoot, relative));
  return folders.map((folder) => folder + path.sep);
}

const graderFolders = [path.join(distRoot, 'lib', 'grade') + path.sep, path.join(projectRoot, 'lib', 'grade') + path.sep];

function show(frame: Frame): string {
  const file = frame.file.startsWith('file://') ? frame.file.slice('file://'.length) : frame.file;
  const inProject = path.isAbsolute(file) && file.startsWith(projectRoot + path.sep);
  const relative = inProject ? path.relative(projectRoot, file) : file;
  const location = `${relative}:${frame.line}:${frame.column}`;
  const fn = frame.fn.replace(/^Object\./, '');
  return fn ? `${fn} (${location})` : location;
}

/**
 * Up to `limit` frames of `stack` in the learner's folders; when there are none (the error
 * came from a graded test or the library), the first frames outside Node and the grader.
 */
export function pickFrames(stack: string | undefined, folders: string[], limit = 4): string[] {
  if (!stack) return [];
  const frames = parseFrames(stack);
  const inStudent = frames.filter((frame) => folders.some((folder) => frame.file.includes(folder)));
  if (inStudent.length > 0) return inStudent.slice(0, limit).map(show);
  const elsewhere = frames.filter(
    (frame) =>
      !frame.file.startsWith('node:') &&
      !frame.file.includes(`${path.sep}node_modules${path.sep}`) &&
      !graderFolders.some((folder) => frame.file.includes(folder)),
  );
  return elsewhere.slice(0, Math.min(limit, 3)).map(show);
}
