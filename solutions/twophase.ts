/**
 * Exercise: the decision rules of atomic commitment (two-phase and three-phase commit).
 * Reference solution. The learner's version is exercises/twophase.ts, with the same exports.
 *
 * Each rule is a pure function; the graded tests plug yours into the real protocol nodes
 * (lib/protocols/twophase) and run them under message loss, duplication, partitions and
 * crashes, then check atomicity (no transaction committed at one participant and aborted at
 * another) and that every transaction ends after the faults stop.
 */
import type { NodeId } from '../lib/core';
import type { Outcome, ParticipantLogRecord, ThreePhaseState, Vote } from '../lib/protocols/twophase';

// ---------------------------------------------------------------------------------------------
// Part 1: the coordinator's decision (2PC and the first phase of 3PC)
// ---------------------------------------------------------------------------------------------

/**
 * `votes` has one entry per participant: 'yes', 'no', or undefined while its vote has not
 * arrived. `timedOut` is true when the coordinator's vote timeout fired.
 * Return 'commit' only if every participant voted yes; 'abort' as soon as any voted no, or when
 * the timeout fired with a vote still missing; 'wait' otherwise.
 */
export function coordinatorDecision(votes: ReadonlyMap<NodeId, Vote | undefined>, timedOut: boolean): Outcome | 'wait' {
  let missing = false;
  for (const vote of votes.values()) {
    if (vote === 'no') return 'abort';
    if (vote === undefined) missing = true;
  }
  if (!missing) return 'commit';
  return timedOut ? 'abort' : 'wait';
}

// ---------------------------------------------------------------------------------------------
// Part 2: a participant's recovery from its own log
// ---------------------------------------------------------------------------------------------

/**
 * `log` holds this participant's durable records of one transaction, oldest first (maybe none).
 * A logged outcome stands; a YES vote without an outcome means "in doubt": return 'ask'
 * (never decide alone); a NO vote, or no vote at all, means it may abort: return 'abort'.
 */
export function participantRecovery(log: readonly ParticipantLogRecord[]): Outcome | 'ask' {
  let votedYes = false;
  for (const record of log) {
    if (record.type === 'outcome') return record.outcome;
    if (record.type === 'vote' && record.vote === 'yes') votedYes = true;
  }
  return votedYes ? 'ask' : 'abort';
}

// ---------------------------------------------------------------------------------------------
// Part 3: the 3PC termination rule of a recovery coordinator
// ---------------------------------------------------------------------------------------------

/**
 * `states` holds the states collected from the reachable participants (the recovery
 * coordinator's own included). Any aborted -> 'abort' (TR1); any committed -> 'commit' (TR2);
 * any precommitted -> 'commit' (TR4); all uncertain -> 'abort' (TR3).
 */
export function terminationDecision(states: ReadonlyMap<NodeId, ThreePhaseState>): Outcome {
  const seen = new Set(states.values());
  if (seen.has('aborted')) return 'abort';
  if (seen.has('committed') || seen.has('precommitted')) return 'commit';
  return 'abort';
}
