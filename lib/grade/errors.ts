/**
 * The two errors a graded test or an exercise stub throws on purpose. The grader reads their
 * fields to print a report that teaches: which invariant broke, when, with which seed, and
 * the command that replays it (DSLabs and fast-check report failures so).
 *
 * Neither class imports anything, so an exercise stub can throw NotImplemented in a notebook
 * as cheaply as under the grader.
 */

const gradedFailureBrand = Symbol.for('consensus-lab.GradedFailure');
const notImplementedBrand = Symbol.for('consensus-lab.NotImplemented');

/** What a graded test knows when an invariant breaks. */
export interface GradedFailureFields {
  /** The invariant's name, as the checkers call it: 'electionSafety', 'agreement', ... */
  invariant: string;
  /** What was observed, in one sentence first; more lines are printed in the details. */
  message: string;
  /** The seed of the run that broke it; the grader prints the command that replays it. */
  seed?: number | string;
  /** Simulated time of the first broken state, in milliseconds. */
  timeMs?: number;
  /** A pointer for the learner: where to look, which section of the paper. */
  hint?: string;
}

/**
 * Thrown by a graded test when the protocol under test broke an invariant.
 *
 * @example
 *   const result = checkAgreement(sim.trace);
 *   if (!result.ok) {
 *     throw new GradedFailure({ invariant: 'agreement', message: result.message, seed, timeMs: sim.nowMs,
 *       hint: 'an acceptor must not accept a ballot lower than one it promised (Paxos Made Simple §2.2)' });
 *   }
 */
export class GradedFailure extends Error implements GradedFailureFields {
  readonly invariant: string;
  readonly seed?: number | string;
  readonly timeMs?: number;
  readonly hint?: string;

  constructor(fields: GradedFailureFields) {
    super(fields.message);
    this.name = 'GradedFailure';
    this.invariant = fields.invariant;
    if (fields.seed !== undefined) this.seed = fields.seed;
    if (fields.timeMs !== undefined) this.timeMs = fields.timeMs;
    if (fields.hint !== undefined) this.hint = fields.hint;
    Object.defineProperty(this, gradedFailureBrand, { value: true });
  }
}

/**
 * Thrown by an exercise stub that the learner has not written yet. The grader reports it as
 * "not implemented yet: <message>" (0 points, no stack dump), so the message should say what
 * to write and where.
 *
 * @example
 *   export function quorumSize(n: number): number {
 *     // TODO: the smallest number of nodes that any two quorums share at least one of.
 *     throw new NotImplemented('quorumSize(n) in exercises/quorum.ts: return the size of a majority of n nodes');
 *   }
 */
export class NotImplemented extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotImplemented';
    Object.defineProperty(this, notImplementedBrand, { value: true });
  }
}

/**
 * True for a GradedFailure, even one built by another copy of this module (a graded file
 * compiled elsewhere): the check uses a registered symbol, not `instanceof`.
 */
export function isGradedFailure(value: unknown): value is GradedFailure {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[gradedFailureBrand] === true;
}

/** True for a NotImplemented error (same cross-copy check as isGradedFailure). */
export function isNotImplemented(value: unknown): value is NotImplemented {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[notImplementedBrand] === true;
}
