/**
 * Turns whatever a graded test threw into the plain data the grader reports: a GradedFailure
 * keeps its invariant, seed and time; a NotImplemented keeps its message and where it was
 * thrown; any other error keeps its name, message and the learner's stack frames.
 */
import * as util from 'util';
import { isGradedFailure, isNotImplemented } from './errors';
import { FailureInfo } from './protocol';
import { pickFrames } from './stack';

const messageLimitChars = 4_000;

function clip(text: string): string {
  return text.length > messageLimitChars ? `${text.slice(0, messageLimitChars)} [... ${text.length - messageLimitChars} more characters]` : text;
}

const hints: Array<[RegExp, string]> = [
  [/Maximum call stack size exceeded/, 'a function calls itself without end: check the base case of the recursion'],
  [/Invalid (array|string) length|Array buffer allocation failed/, 'something grows without bound: check the loop that builds it'],
];

/**
 * The report data for `error`, thrown while the sweep was at `seed` (if known); `folders` are
 * the learner's folders, whose stack frames are kept.
 */
export function describeFailure(error: unknown, seed: number | undefined, folders: string[]): FailureInfo {
  if (isGradedFailure(error)) {
    const failure: FailureInfo = { kind: 'invariant', invariant: error.invariant, message: clip(error.message) };
    const replaySeed = error.seed ?? seed;
    if (replaySeed !== undefined) failure.seed = replaySeed;
    if (error.timeMs !== undefined) failure.timeMs = error.timeMs;
    if (error.hint !== undefined) failure.hint = error.hint;
    return failure;
  }
  if (isNotImplemented(error)) {
    return { kind: 'not-implemented', message: clip(error.message), where: pickFrames(error.stack, folders, 1) };
  }
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const fields = error as { name?: unknown; message: unknown; stack?: unknown; seed?: unknown; timeMs?: unknown };
    const message = clip(String(fields.message));
    const failure: FailureInfo = {
      kind: 'error',
      errorName: typeof fields.name === 'string' ? fields.name : 'Error',
      message,
      where: pickFrames(typeof fields.stack === 'string' ? fields.stack : undefined, folders),
    };
    const ownSeed = typeof fields.seed === 'number' || typeof fields.seed === 'string' ? fields.seed : undefined;
    const replaySeed = ownSeed ?? seed;
    if (replaySeed !== undefined) failure.seed = replaySeed;
    if (typeof fields.timeMs === 'number') failure.timeMs = fields.timeMs;
    const hint = hints.find(([pattern]) => pattern.test(message));
    if (hint) failure.hint = hint[1];
    return failure;
  }
  const failure: FailureInfo = {
    kind: 'error',
    message: clip(`threw ${util.inspect(error)}, which is not an Error (throw new Error(...) to get a stack trace)`),
  };
  if (seed !== undefined) failure.seed = seed;
  return failure;
}

