import { NodeId } from '../../core';

/**
 * The vocabulary of atomic commitment (原子提交): transactions, votes, outcomes, and the
 * messages and timers of two-phase and three-phase commit, as plain data with the papers'
 * names. Two-phase commit follows Gray 1978 ("Notes on Data Base Operating Systems", §5.8.3)
 * and Bernstein, Hadzilacos & Goodman 1987 ch. 7.4 (BHG); three-phase commit follows
 * Skeen 1981 ("Nonblocking Commit Protocols") as BHG ch. 7.5 teaches it.
 */

/** A transaction's name ("t1"). */
export type TxnId = string;

/** A participant's vote: YES means "prepared: I can commit and hold my locks until told"; NO means abort. */
export type Vote = 'yes' | 'no';

/** What happened to a transaction, at one node. */
export type Outcome = 'commit' | 'abort';

/**
 * 2PC messages (BHG §7.4: VOTE-REQ, YES/NO, COMMIT/ABORT; Gray 1978 names them Prepare and
 * Commit). `Prepare` carries the participant list so that a blocked participant knows whom
 * to ask in the cooperative termination protocol (BHG §7.4, "cooperative termination").
 * `DecisionRequest` is that question: "do you know the outcome of txn?".
 */
export type TwoPhaseMessage =
  | { type: 'Prepare'; txn: TxnId; participants: NodeId[] }
  | { type: 'VoteYes'; txn: TxnId }
  | { type: 'VoteNo'; txn: TxnId }
  | { type: 'Commit'; txn: TxnId }
  | { type: 'Abort'; txn: TxnId }
  | { type: 'Ack'; txn: TxnId }
  | { type: 'DecisionRequest'; txn: TxnId };

/**
 * 2PC coordinator timers. Each carries the transaction it was set for; `attempt` numbers a
 * retry chain so that a chain replaced by a newer one dies quietly (stale timers are ignored).
 */
export type TwoPhaseCoordinatorTimer =
  | { type: 'StartTransaction'; txn: TxnId }
  | { type: 'VoteTimeout'; txn: TxnId }
  | { type: 'PrepareRetry'; txn: TxnId; attempt: number }
  | { type: 'DecisionRetry'; txn: TxnId; attempt: number };

/**
 * 2PC participant timers: `PrepareTimeout`, no Prepare came for a transaction it works on
 * (abort unilaterally: it has not voted); `DecisionTimeout`, the decision has not come (be
 * blocked, ask again). Both are stale once the participant voted or knows the outcome.
 */
export type TwoPhaseParticipantTimer = { type: 'PrepareTimeout'; txn: TxnId } | { type: 'DecisionTimeout'; txn: TxnId };

/**
 * What a 3PC participant can say about a transaction (Skeen 1981, BHG §7.5): `uncertain`
 * (voted YES, no PreCommit yet), `precommitted` ("committable": got PreCommit), or an outcome.
 * A participant that had not voted aborts unilaterally when asked, and reports `aborted`.
 */
export type ThreePhaseState = 'uncertain' | 'precommitted' | 'committed' | 'aborted';

/**
 * 3PC messages (Skeen 1981; the names of the standard textbook description): CanCommit,
 * Yes/No, PreCommit, AckPreCommit, DoCommit, HaveCommitted, Abort. `round` numbers who sent a
 * PreCommit: 0 is the original coordinator, r >= 1 the r-th recovery coordinator of the
 * termination protocol, which speaks StateRequest/StateReport (BHG §7.5: STATE-REQ and the
 * state reports). `DecisionRequest` is asked by a recovering node.
 */
export type ThreePhaseMessage =
  | { type: 'CanCommit'; txn: TxnId; participants: NodeId[] }
  | { type: 'Yes'; txn: TxnId }
  | { type: 'No'; txn: TxnId }
  | { type: 'PreCommit'; txn: TxnId; round: number }
  | { type: 'AckPreCommit'; txn: TxnId; round: number }
  | { type: 'DoCommit'; txn: TxnId }
  | { type: 'HaveCommitted'; txn: TxnId }
  | { type: 'Abort'; txn: TxnId }
  | { type: 'DecisionRequest'; txn: TxnId }
  | { type: 'StateRequest'; txn: TxnId; round: number }
  | { type: 'StateReport'; txn: TxnId; round: number; state: ThreePhaseState };

/** 3PC coordinator timers: votes did not all come; PreCommit acks did not all come; ask again after a restart. */
export type ThreePhaseCoordinatorTimer =
  | { type: 'StartTransaction'; txn: TxnId }
  | { type: 'VoteTimeout'; txn: TxnId }
  | { type: 'AckTimeout'; txn: TxnId }
  | { type: 'DecisionRetry'; txn: TxnId; attempt: number };

/**
 * 3PC participant timers. `TerminationTimeout` ends a wait in round `round` (the `wait`
 * number tells a re-armed wait from the one it replaced); `StateCollectTimeout` and
 * `RecoveryAckTimeout` end the phases of a recovery coordinator.
 */
export type ThreePhaseParticipantTimer =
  | { type: 'TerminationTimeout'; txn: TxnId; round: number; wait: number }
  | { type: 'StateCollectTimeout'; txn: TxnId; round: number }
  | { type: 'RecoveryAckTimeout'; txn: TxnId; round: number };

/**
 * One transaction of a workload: its name, when the coordinator starts it, and which
 * participants take part (all of them when left out).
 */
export interface TransactionSpec {
  txn: TxnId;
  atMs: number;
  participants?: NodeId[];
}

/** Decides a participant's vote: pure and deterministic (same inputs, same vote), so runs replay. */
export type VotePolicy = (txn: TxnId, participant: NodeId) => Vote;

/** The default policy: every participant votes YES on everything. */
export const alwaysYes: VotePolicy = () => 'yes';
