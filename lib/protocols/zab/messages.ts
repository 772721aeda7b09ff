import { NodeId } from '../../core';

/**
 * The vocabulary of ZAB, ZooKeeper's atomic broadcast (Junqueira, Reed & Serafini, "Zab:
 * High-performance broadcast for primary-backup systems", DSN 2011, §III-IV; Medeiros,
 * "ZooKeeper's atomic broadcast protocol: Theory and practice", 2012, §2-3 for the names the
 * implementation uses: FOLLOWERINFO, LEADERINFO, ACKEPOCH, DIFF, TRUNC, SNAP, NEWLEADER,
 * UPTODATE, PROPOSAL, ACK, COMMIT). A primary (主节点, the leader) broadcasts state changes
 * (事务, transactions) numbered by zxids; epochs (纪元) number the primaries.
 */

/**
 * A transaction id (Zab §III): the epoch of the primary that broadcast it and a counter that
 * the primary increments for each transaction. ZooKeeper packs both into one 64-bit number
 * (epoch in the high 32 bits); here they are two fields.
 */
export interface Zxid {
  epoch: number;
  counter: number;
}

/** The zxid before any transaction: (0, 0). */
export const ZXID_ZERO: Zxid = { epoch: 0, counter: 0 };

/** Orders zxids: first by epoch, then by counter (negative: a < b, 0: equal, positive: a > b). */
export function compareZxid(a: Zxid, b: Zxid): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.counter - b.counter;
}

/** "(2,5)": a zxid as the notebooks print it. */
export function formatZxid(z: Zxid): string {
  return `(${z.epoch},${z.counter})`;
}

/** What a client asks the replicated store to do (ZooKeeper's create/setData, simplified to a key-value store). */
export interface ZabOperation {
  op: 'put' | 'append' | 'get';
  key: string;
  value?: string;
  /**
   * For a get: true reads the server's own state at once (ZooKeeper's plain read, possibly
   * stale); false first sends a `sync` through the leader, so the read sees every write that
   * completed before it (ZooKeeper's sync() then getData()).
   */
  local?: boolean;
}

/** A write as a transaction carries it: the operation and the client session it came from (for at-most-once execution). */
export interface ZabWrite {
  op: 'put' | 'append';
  key: string;
  value: string;
  client: NodeId;
  seq: number;
}

/**
 * One transaction of a history (Zab §III: ⟨v, z⟩, a value and its zxid). `value` is a client
 * write or, in scenarios, any label.
 */
export interface Txn {
  zxid: Zxid;
  value: ZabWrite | string;
}

/**
 * A vote of fast leader election (Medeiros §3.1; ZooKeeper's FastLeaderElection): the server it
 * proposes as leader, that server's last zxid and its current epoch (ZooKeeper's `peerEpoch`).
 */
export interface Vote {
  leader: NodeId;
  zxid: Zxid;
  epoch: number;
}

/** Where a server stands in fast leader election: still looking, or following / leading someone. */
export type ElectionState = 'LOOKING' | 'FOLLOWING' | 'LEADING';

/**
 * Every message between servers after the election travels on a session: the connection a
 * follower opens to its leader (ZAB assumes TCP, §III: "reliable FIFO channels"). `session`
 * names the connection, `seq` numbers the messages of one direction of it, and `ack` is the
 * next `seq` the sender expects from the other direction (a cumulative acknowledgement, as
 * TCP's). A receiver takes a message only with the next `seq` and drops the others (a
 * duplicate, or one after a lost message); the sender re-sends what was not acknowledged
 * (go-back-N). So a session delivers in order, without loss or duplicates, while it lasts,
 * and it ends when a side hears nothing for a while (a crash or a partition), as a TCP
 * connection times out.
 */
export interface SessionStamp {
  session: string;
  seq: number;
  ack: number;
}

/**
 * ZAB messages.
 *
 * Fast leader election (unstamped: it tolerates loss by re-sending):
 * - `NOTIFICATION`: the sender's current vote, its election round (ZooKeeper's logical clock)
 *   and whether it is still LOOKING or already FOLLOWING / LEADING.
 *
 * Phase 1, discovery (Zab §IV-A; ZooKeeper's names):
 * - `FOLLOWERINFO` (the paper's CEPOCH): a follower opens a session and reports the last epoch
 *   it accepted.
 * - `LEADERINFO` (NEWEPOCH): the prospective leader's new epoch, above every reported one.
 * - `ACKEPOCH` (ACK-E): the follower accepted the epoch; it reports its current epoch and last zxid.
 *
 * Phase 2, synchronization (§IV-B; Medeiros §3.2):
 * - `DIFF`: the transactions the follower is missing; `TRUNC`: drop everything after
 *   `truncZxid` first; `SNAP`: replace the whole history. All three carry `committedZxid`, the
 *   leader's commit point.
 * - `NEWLEADER` (NEWLEADER(e', I)): the follower now holds the leader's initial history and
 *   takes the new epoch as its current one; it answers with `ACK` (`newLeader: true`).
 * - `UPTODATE` (COMMIT-LD): a quorum holds the history; deliver it up to `committedZxid` and serve.
 *
 * Phase 3, broadcast (§IV-C):
 * - `REQUEST`: a follower forwards a client's write to the leader.
 * - `PROPOSAL` / `ACK` / `COMMIT`: the two-phase broadcast of one transaction.
 * - `PING`: the leader's heartbeat, echoed by followers; `round` also confirms leadership for a sync.
 * - `SYNC` / `SYNCREPLY`: a follower's sync for a client read, answered once every earlier
 *   proposal is committed and a quorum still follows the leader.
 *
 * Clients:
 * - `CLIENT_REQUEST` / `CLIENT_REPLY`: a client's operation and its result (`ok: false`: try
 *   another server).
 * - `SUBMIT`: a scenario tells a client to run one more operation (at `server`, when given).
 */
export type ZabMessage =
  | { type: 'NOTIFICATION'; vote: Vote; round: number; state: ElectionState }
  | ({ type: 'FOLLOWERINFO'; acceptedEpoch: number; lastZxid: Zxid } & SessionStamp)
  | ({ type: 'LEADERINFO'; epoch: number } & SessionStamp)
  | ({ type: 'ACKEPOCH'; currentEpoch: number; lastZxid: Zxid } & SessionStamp)
  | ({ type: 'DIFF'; txns: Txn[]; committedZxid: Zxid } & SessionStamp)
  | ({ type: 'TRUNC'; truncZxid: Zxid; txns: Txn[]; committedZxid: Zxid } & SessionStamp)
  | ({ type: 'SNAP'; history: Txn[]; committedZxid: Zxid } & SessionStamp)
  | ({ type: 'NEWLEADER'; epoch: number } & SessionStamp)
  | ({ type: 'ACK'; zxid: Zxid; newLeader: boolean } & SessionStamp)
  | ({ type: 'UPTODATE'; committedZxid: Zxid } & SessionStamp)
  | ({ type: 'REQUEST'; requestId: string; write: ZabWrite } & SessionStamp)
  | ({ type: 'PROPOSAL'; txn: Txn } & SessionStamp)
  | ({ type: 'COMMIT'; zxid: Zxid } & SessionStamp)
  | ({ type: 'PING'; round: number } & SessionStamp)
  | ({ type: 'SYNC'; requestId: string } & SessionStamp)
  | ({ type: 'SYNCREPLY'; requestId: string } & SessionStamp)
  | { type: 'CLIENT_REQUEST'; requestId: string; client: NodeId; seq: number; operation: ZabOperation }
  | { type: 'CLIENT_REPLY'; requestId: string; ok: boolean; value?: string }
  | { type: 'SUBMIT'; operation: ZabOperation; server?: NodeId };

/** The messages that travel on a session (all but NOTIFICATION and the clients'). */
export type ZabSessionMessage = Extract<ZabMessage, SessionStamp>;

/** Message types a server sends to another server; the comparison counts these. */
export const ZAB_SERVER_MESSAGES: readonly ZabMessage['type'][] = [
  'NOTIFICATION', 'FOLLOWERINFO', 'LEADERINFO', 'ACKEPOCH', 'DIFF', 'TRUNC', 'SNAP', 'NEWLEADER', 'ACK', 'UPTODATE',
  'REQUEST', 'PROPOSAL', 'COMMIT', 'PING', 'SYNC', 'SYNCREPLY',
];

/**
 * Timers, each carrying what it was set for; `generation` numbers the server's role changes
 * (every return to ELECTION starts a new one), so a timer of an older role is stale.
 * - `ElectionTick`: re-send the vote while LOOKING (notifications may be lost).
 * - `ElectionSettle`: ZooKeeper's finalizeWait: a quorum agrees on `vote`; if no better vote
 *   came in meanwhile, the election is over.
 * - `Tick`: the periodic work of a follower (re-send unacknowledged messages, notice a silent
 *   leader) and of a leader (the same, PING, drop silent followers, give up without a quorum).
 * - `ClientNext` / `ClientRetry`: a client's next operation and its re-send of request `seq` (to the next server when `nextServer`: the last one did not answer).
 */
export type ZabTimer =
  | { type: 'ElectionTick'; generation: number }
  | { type: 'ElectionSettle'; generation: number; round: number; vote: string }
  | { type: 'Tick'; generation: number }
  | { type: 'ClientNext' }
  | { type: 'ClientRetry'; seq: number; attempt: number; nextServer: boolean };
