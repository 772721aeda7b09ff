/**
 * Exercise: the decision rules of atomic commitment (two-phase and three-phase commit).
 *
 * Write the three functions below. Each is a pure function; the graded tests plug yours into
 * the real protocol nodes (lib/protocols/twophase) and run them under message loss,
 * duplication, partitions and crashes, then check atomicity (no transaction committed at one
 * participant and aborted at another) and that every transaction ends after the faults stop.
 *
 * Read first: notebooks/02-two-phase-commit.ipynb, and the contracts in
 * lib/protocols/twophase/rules.ts. Grade your work with:
 *
 *     npm run grade -- twophase
 */
import type { NodeId } from '../lib/core';
import { NotImplemented } from '../lib/grade';
import type { Outcome, ParticipantLogRecord, ThreePhaseState, Vote } from '../lib/protocols/twophase';

// ---------------------------------------------------------------------------------------------
// Part 1: the coordinator's decision (2PC and the first phase of 3PC)
// ---------------------------------------------------------------------------------------------

/**
 * `votes` has one entry per participant: 'yes', 'no', or undefined while its vote has not
 * arrived. `timedOut` is true when the coordinator's vote timeout fired.
 * Return 'commit' only if every participant voted yes; 'abort' as soon as any voted no, or when
 * the timeout fired with a vote still missing; 'wait' otherwise.
 *
 * Why: a participant that voted no (or never voted) may already have aborted on its own, so
 * committing then would break atomicity. Waiting forever would block everyone.
 */
export function coordinatorDecision(votes: ReadonlyMap<NodeId, Vote | undefined>, timedOut: boolean): Outcome | 'wait' {
  // TODO: look at every vote; decide 'commit', 'abort' or 'wait' as the contract above says.
  throw new NotImplemented('coordinatorDecision(votes, timedOut) in exercises/twophase.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 2: a participant's recovery from its own log
// ---------------------------------------------------------------------------------------------

/**
 * `log` holds this participant's durable records of one transaction, oldest first (maybe none):
 *   { type: 'vote', vote: 'yes' | 'no', ... }, { type: 'precommit' } (3PC), { type: 'outcome', outcome }.
 * A logged outcome stands; a YES vote without an outcome means "in doubt": return 'ask'
 * (never decide alone); a NO vote, or no vote at all, means it may abort: return 'abort'.
 *
 * Why: after voting yes, the participant promised to do whatever the coordinator decides, and
 * the coordinator may have decided either way while it was down.
 */
export function participantRecovery(log: readonly ParticipantLogRecord[]): Outcome | 'ask' {
  // TODO: read the records in order; return the outcome, 'ask' or 'abort'.
  throw new NotImplemented('participantRecovery(log) in exercises/twophase.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 3: the 3PC termination rule of a recovery coordinator
// ---------------------------------------------------------------------------------------------

/**
 * `states` holds the states collected from the reachable participants (the recovery
 * coordinator's own included): 'uncertain', 'precommitted', 'committed' or 'aborted'.
 * Any aborted -> 'abort' (TR1); any committed -> 'commit' (TR2); any precommitted -> 'commit'
 * (TR4); all uncertain -> 'abort' (TR3).
 *
 * Why: in 3PC nobody commits before everyone is precommitted, so "all uncertain" proves that
 * nobody committed; "someone precommitted" proves that nobody aborted after voting yes.
 */
export function terminationDecision(states: ReadonlyMap<NodeId, ThreePhaseState>): Outcome {
  // TODO: apply the rules TR1 to TR4 above.
  throw new NotImplemented('terminationDecision(states) in exercises/twophase.ts');
}
