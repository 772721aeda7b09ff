import { NodeId } from '../../core';

/**
 * The vocabulary of Basic Paxos (Lamport, "Paxos Made Simple", 2001): proposal numbers
 * (提案编号), proposals (提案), and the messages of the two phases with the paper's names,
 * as plain data. §2.2 "Choosing a Value" defines the phases; §2.3 "Learning a Chosen Value"
 * the learners; §2.4 "Progress" the distinguished proposer and why two proposers can duel.
 */

/** A proposed value. Plain strings keep traces and model-checker states small and readable. */
export type PaxosValue = string;

/**
 * A proposal number (Lamport §2.2: "different proposers choose their numbers from disjoint
 * sets"). Ordered by `round`, then by `node`: (1, p1) < (1, p2) < (2, p1). Two proposers can
 * never issue the same number, and a proposer never reuses one (it persists its round).
 */
export interface Ballot {
  round: number;
  node: NodeId;
}

/** A proposal: a number and a value (Lamport §2.2: "a proposal consists of a number and a value"). */
export interface Proposal {
  ballot: Ballot;
  value: PaxosValue;
}

/** Negative, zero or positive as a is lower than, equal to or higher than b; null is lowest of all. */
export function compareBallots(a: Ballot | null, b: Ballot | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.round !== b.round) return a.round - b.round;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** "2.p1" for (2, p1); "-" for none. */
export function formatBallot(ballot: Ballot | null): string {
  return ballot === null ? '-' : `${ballot.round}.${ballot.node}`;
}

/**
 * Paxos messages (Lamport §2.2, phases 1a/1b/2a/2b; §2.3 learning).
 * - `Prepare`: phase 1a, "a prepare request with number n".
 * - `Promise`: phase 1b, "a promise not to accept any more proposals numbered less than n and
 *   [...] the proposal with the highest number less than n that it has accepted, if any".
 * - `Nack`: the rejection the paper suggests as an optimisation (§2.4: "the acceptor [should]
 *   inform the proposer, who should then abandon its proposal"); carries the number the
 *   acceptor has promised, so the proposer can pick a higher round.
 * - `Accept`: phase 2a, "an accept request [...] for a proposal numbered n with value v".
 * - `Accepted`: phase 2b, sent to the proposer that owns the ballot.
 * - `Chosen`: the proposer tells the learners (§2.3, "a distinguished learner [...] informs
 *   the other learners"); `ChosenAck` stops the proposer re-sending it.
 * `slot` is always 0 in Basic Paxos; Multi-Paxos would number its log instances with it.
 */
export type PaxosMessage =
  | { type: 'Prepare'; slot: number; ballot: Ballot }
  | { type: 'Promise'; slot: number; ballot: Ballot; accepted: Proposal | null }
  | { type: 'Nack'; slot: number; ballot: Ballot; promised: Ballot }
  | { type: 'Accept'; slot: number; ballot: Ballot; value: PaxosValue }
  | { type: 'Accepted'; slot: number; ballot: Ballot; value: PaxosValue }
  | { type: 'Chosen'; slot: number; ballot: Ballot; value: PaxosValue }
  | { type: 'ChosenAck'; slot: number };

/**
 * Proposer timers. `Retry` starts a new round (after a phase timed out, or after a back-off
 * following a Nack) or re-sends `Chosen` to learners that have not acknowledged it. It carries
 * the attempt it was set in: a timer from an older attempt is stale and ignored.
 */
export type PaxosTimer = { type: 'Retry'; attempt: number };
