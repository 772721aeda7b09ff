import { NodeId } from '../../core';
import { Ballot, PaxosValue } from '../paxos/messages';
import { PaxosRules } from '../paxos/rules';
import { MultiAcceptorState } from './acceptor';
import { Command, SlotProposal } from './messages';
import { KvStateMachine, emptyStateMachine } from './state-machine';

/**
 * The data of a Multi-Paxos server (node.ts has its behaviour): options, state and durable
 * keys, all plain data so a notebook can draw it and a model checker can clone it.
 */

/** Options of a Multi-Paxos server; times are virtual milliseconds. */
export interface MultiPaxosNodeOptions {
  /** Every server (each one acceptor, replica and would-be leader), this one included. */
  servers: readonly NodeId[];
  /** The acceptor rules and the value choice (a learner's); the references by default. */
  rules?: Partial<PaxosRules>;
  /** How often the leader sends Heartbeat. Default 20. */
  heartbeatMs?: number;
  /** A follower that hears no leader for uniform(t, 2t) starts phase 1 (t = this). Default 100. */
  electionTimeoutMs?: number;
  /** How long the leader waits for a majority before it re-sends an Accept (or Prepare). Default 50. */
  retryMs?: number;
  /**
   * true (default): Multi-Paxos, one phase 1 per leadership and then one Accept round per
   * command (Lamport §3). false: a full phase 1 and phase 2 for every command, as a proposer
   * without a stable leadership would run Basic Paxos (the baseline of `basicVsMultiPaxos`).
   */
  skipPhase1?: boolean;
  /** Start phase 1 at once on the first boot instead of after an election timeout (a predictable first leader). */
  campaignAtStart?: boolean;
  /** How many decided slots one catch-up reply carries at most. Default 64. */
  catchUpBatch?: number;
}

/** Where a server stands: following a leader, trying to become one (phase 1), or leading. */
export type MultiPaxosRole = 'follower' | 'candidate' | 'leader';

/** A slot the leader proposed and that has no majority yet. */
export interface InFlightSlot {
  value: PaxosValue;
  /** Acceptors that sent Accepted for the leader's current ballot. */
  accepts: NodeId[];
  /** When the Accepts were last sent (for re-sending). */
  sentAtMs: number;
}

/** Phase 1 in progress: the ballot, the first slot it covers, and the promises so far. */
export interface Phase1State {
  ballot: Ballot;
  fromSlot: number;
  /** acceptor -> the proposals it reported for slots >= fromSlot. */
  promises: Record<NodeId, SlotProposal[]>;
  sentAtMs: number;
}

/**
 * All of a server's state, plain data. Durable (re-read by `init` after a restart): the
 * acceptor's promise and accepted proposals, the round, and the decided slots. Everything
 * else is volatile and rebuilt: the state machine is replayed from the decided log.
 */
export interface MultiPaxosNodeState {
  acceptor: MultiAcceptorState;
  /** 1 + the highest slot the acceptor has ever accepted in (how far `init` reads). */
  acceptedHigh: number;
  role: MultiPaxosRole;
  /** The highest round this server has used for its own ballots (persisted before use). */
  round: number;
  /** The highest round seen in any ballot: the next own round goes above it. */
  seenRound: number;
  /** This server's ballot while it is a candidate or the leader. */
  ballot: Ballot | null;
  /** Whom this server believes to be the leader (where to forward requests), or null. */
  leader: NodeId | null;
  phase1: Phase1State | null;
  /** Phase 1 of `ballot` is done and covers new slots (always, while leading, in Multi-Paxos). */
  prepared: boolean;
  /** The next slot the leader gives to a new command. */
  nextSlot: number;
  inFlight: Record<number, InFlightSlot>;
  /** Client commands waiting for phase 1 to finish. */
  pending: Command[];
  /** Numbers the leaderships of this server: a Tick from an older one is stale. */
  epoch: number;
  electionTimerId: number | null;
  /** The replica's log: slot -> decided value. */
  decided: Record<number, PaxosValue>;
  /** 1 + the highest decided slot known. */
  decidedHigh: number;
  /** The first slot not yet decided here; every slot below is decided and applied. */
  firstUndecided: number;
  machine: KvStateMachine;
}

/** Durable-storage keys of a server. */
export const MULTIPAXOS_KEYS = {
  promised: 'promised',
  acceptedHigh: 'acceptedHigh',
  accepted: (slot: number) => `accepted:${slot}`,
  round: 'round',
  decidedHigh: 'decidedHigh',
  decided: (slot: number) => `decided:${slot}`,
};

/** A server's state before `init` reads its durable storage. */
export function initialNodeState(): MultiPaxosNodeState {
  return {
    acceptor: { promised: null, accepted: {} },
    acceptedHigh: 0,
    role: 'follower',
    round: 0,
    seenRound: 0,
    ballot: null,
    leader: null,
    phase1: null,
    prepared: false,
    nextSlot: 0,
    inFlight: {},
    pending: [],
    epoch: 0,
    electionTimerId: null,
    decided: {},
    decidedHigh: 0,
    firstUndecided: 0,
    machine: emptyStateMachine(),
  };
}
