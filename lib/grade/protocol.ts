/**
 * The messages between the grader (parent) and the child process that runs one graded file,
 * and the plain-data description of a failure that the child builds and the parent reports.
 * Everything here crosses the IPC channel, so it is JSON-shaped data only.
 */

/** Why a test lost its points. */
export type FailureKind =
  | 'invariant' // a GradedFailure: the protocol broke an invariant
  | 'not-implemented' // a NotImplemented thrown by a stub
  | 'error' // any other thrown value
  | 'timeout' // the wall-clock limit passed; the child was killed
  | 'out-of-memory' // the child died of a V8 heap limit
  | 'exit' // the code ended the child process (process.exit or an exit code)
  | 'killed' // the child died of a signal the grader did not send
  | 'load'; // the graded file could not be loaded

export interface FailureInfo {
  kind: FailureKind;
  /** One or more lines; the first is shown in the table. */
  message: string;
  /** Error class name for kind 'error' (TypeError, RangeError, ...). */
  errorName?: string;
  invariant?: string;
  seed?: number | string;
  timeMs?: number;
  hint?: string;
  /** Stack frames, preferring those in the learner's files, as "fn (file:line:col)". */
  where?: string[];
}

/** The metadata of a test, as the child reports it after loading the graded file. */
export interface TestMeta {
  name: string;
  points: number;
  hidden: boolean;
  description?: string;
  timeoutMs?: number;
}

/** Parent to child. */
export type ParentMessage = { type: 'run'; name: string; seed?: number };

/** Child to parent. */
export type ChildMessage =
  | { type: 'suite'; topic: string; tests: TestMeta[] }
  | { type: 'load-error'; failure: FailureInfo; output: string }
  | { type: 'seed'; seed: number }
  | { type: 'result'; name: string; passed: boolean; failure?: FailureInfo; durationMs: number; output: string };

/**
 * A line the child writes straight to its stderr (synchronously) just before the learner's
 * code ends the process, so that the parent can say what happened and where.
 */
export const exitMarker = '\u0000consensus-lab-exit:';

export interface ExitNote {
  kind: 'exit' | 'kill';
  code?: number;
  signal?: string;
  where: string[];
}
