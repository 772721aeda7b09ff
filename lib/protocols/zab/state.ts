import { NodeId } from '../../core';
import { ElectionState, Txn, Vote, ZabSessionMessage, ZabWrite, Zxid } from './messages';

/**
 * The data of a ZAB server (node.ts has its behaviour): options, state and durable keys, all
 * plain data, so a notebook can draw it and `structuredClone` can copy it.
 */

/** Options of a ZAB server. Times are virtual milliseconds. */
export interface ZabNodeOptions {
  /** Every server of the ensemble, this one included. */
  servers: readonly NodeId[];
  /** The pluggable rules (a learner's); the references by default. */
  rules?: Partial<import('./rules').ZabRules>;
  /** The period of a server's Tick: the leader's PING, a follower's reconnect and silence checks. Default 20. */
  tickMs?: number;
  /**
   * A follower that hears nothing from its leader this long goes back to ELECTION; a leader
   * drops a follower it has not heard from this long, and gives up without a quorum
   * (ZooKeeper's syncLimit). Default 100.
   */
  followerTimeoutMs?: number;
  /** Discovery and synchronization must finish within this long, or the server re-elects (ZooKeeper's initLimit). Default 250. */
  initLimitMs?: number;
  /** How often a LOOKING server re-sends its vote. Default 40. */
  electionTickMs?: number;
  /** How long a quorum's agreement must stand before the election ends (ZooKeeper's finalizeWait). Default 5. */
  finalizeWaitMs?: number;
  /** A session re-sends the messages the other side has not acknowledged after this long (TCP's retransmission timeout). Default 3 * tickMs. */
  retransmitMs?: number;
  /**
   * ZooKeeper's guard in discovery: a prospective leader that hears ACKEPOCH from a follower
   * with a higher (current epoch, last zxid) than its own gives up ("Follower is ahead of the
   * leader"). Default true. false shows what a wrong vote comparison does without it.
   */
  guardFollowerAhead?: boolean;
  /** How many committed transactions the leader keeps for DIFFs (ZooKeeper's commitLogCount); further back, SNAP. Default 500. */
  committedLogSize?: number;
}

/** The four phases of a server (Zab §IV; Medeiros §3): election, then discovery, synchronization, broadcast. */
export type ZabPhase = 'ELECTION' | 'DISCOVERY' | 'SYNCHRONIZATION' | 'BROADCAST';

/** What the server is in fast leader election: looking for a leader, or following / leading one. */
export type ZabRole = 'looking' | 'following' | 'leading';

/** The replicated object: a key-value store with client sessions for at-most-once writes. */
export interface ZabStore {
  data: Record<string, string>;
  /** Per client, the last write sequence number applied (a retry of it is not applied again). */
  sessions: Record<NodeId, number>;
}

/** One end of a session: what it sent and what it received (see SessionStamp). */
export interface SessionEnd {
  session: string;
  /** The seq of the next message it sends, and of the next one it expects from the other side. */
  outSeq: number;
  inSeq: number;
  /** Sent and not acknowledged yet, oldest first, with when each was last sent. */
  unacked: { msg: ZabSessionMessage; sentMs: number }[];
}

/** The follower's end of its session with the leader. */
export interface FollowerSession extends SessionEnd {
  /** connecting: FOLLOWERINFO sent; epoch: ACKEPOCH sent; syncing: NEWLEADER being handled; synced: UPTODATE received. */
  stage: 'connecting' | 'epoch' | 'syncing' | 'synced';
  /** When the follower last heard from the leader on this session (or opened it). */
  lastHeardMs: number;
  /** When the server started following this leader. */
  followingSinceMs: number;
}

/** The leader's end of one follower's session (ZooKeeper's LearnerHandler). */
export interface LearnerHandler extends SessionEnd {
  /** info: FOLLOWERINFO received; ackepoch: ACKEPOCH received; syncing: history and NEWLEADER sent; synced: NEWLEADER acknowledged. */
  stage: 'info' | 'ackepoch' | 'syncing' | 'synced';
  acceptedEpoch: number;
  currentEpoch: number;
  lastZxid: Zxid;
  /** The leader's last zxid when it synchronized this follower. */
  syncedTo: Zxid;
  /** The highest zxid this follower acknowledged on this session. */
  lastAck: Zxid;
  lastHeardMs: number;
  /** The highest PING round it echoed. */
  pingRound: number;
}

/** A prospective or established leader's state. */
export interface LeaderSide {
  /** The new epoch, once a quorum's FOLLOWERINFO fixed it (null before). */
  epoch: number | null;
  /** A quorum acknowledged the epoch (ACKEPOCH): the leader took it as its current epoch. */
  epochAcked: boolean;
  /** A quorum acknowledged NEWLEADER: the epoch is established, broadcast may start. */
  established: boolean;
  startedMs: number;
  handlers: Record<NodeId, LearnerHandler>;
  /** The counter of the last zxid proposed in this epoch. */
  counter: number;
  /** Writes that arrived before the epoch was established. */
  waiting: ZabWrite[];
  /** Sync requests waiting: answered when `committed >= index` and a quorum echoed PING `round`. */
  syncs: { requestId: string; origin: NodeId; index: number; round: number }[];
  pingRound: number;
}

/** All of a server's state. The first block is durable (kept in storage through ctx.persist), the rest volatile. */
export interface ZabState {
  /** The paper's f.p: the last epoch this server acknowledged in discovery (a promise not to follow an older one). */
  acceptedEpoch: number;
  /** The paper's f.a: the last epoch whose NEWLEADER it acknowledged (whose initial history it holds). */
  currentEpoch: number;
  /** Its history: accepted transactions in zxid order. */
  history: Txn[];
  /** How many transactions of the history it delivered (committed); they are never taken back. */
  committed: number;
  /** How many times it booted (names its sessions). */
  boots: number;

  phase: ZabPhase;
  role: ZabRole;
  leader: NodeId | null;
  /** Bumped at every role change; timers of an older generation are stale. */
  generation: number;
  /** Fast leader election: the round (logical clock), the current vote, the LOOKING votes of this round, the others' votes. */
  round: number;
  vote: Vote;
  received: Record<NodeId, Vote>;
  outOfElection: Record<NodeId, { vote: Vote; round: number; state: ElectionState }>;
  follower: FollowerSession | null;
  leading: LeaderSide | null;
  /** The store after delivering history[0 .. committed). */
  store: ZabStore;
  /** Client requests this server answers: by request id, who asked and what. */
  clientRequests: Record<string, { client: NodeId; kind: 'write' | 'sync'; key: string }>;
  sessionCounter: number;
}

/** Durable-storage keys. */
export const ZAB_KEYS = {
  epochs: 'zab:epochs',
  log: 'zab:log',
  txn: (index: number) => `zab:txn:${index}`,
  committed: 'zab:committed',
  boots: 'zab:boots',
};
