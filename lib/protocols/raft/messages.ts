import { NodeId } from '../../core';

/**
 * The vocabulary of Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm (Extended Version)", 2014), as plain data with the paper's names. Figure 2 lists
 * the state and the two RPCs; Figure 13 InstallSnapshot (§7); the dissertation (Ongaro 2014,
 * §3.10) adds TimeoutNow for leadership transfer, and §4 single-server membership changes.
 * Terms are 任期, the log is 日志, a leader is 领导者.
 */

/**
 * What a log entry carries.
 * - `noop`: the entry a new leader appends at the start of its term (dissertation §6.4 and
 *   §4.1's fix: it lets the leader commit an entry of its own term).
 * - `config`: a configuration (the voting servers), in effect as soon as it is appended to a
 *   server's log, committed or not (dissertation §4.1).
 * - `command`: a state-machine command; `requestId` names the client request it came from.
 */
export type RaftCommand =
  | { type: 'noop' }
  | { type: 'config'; servers: NodeId[] }
  | { type: 'command'; data: unknown; requestId?: string };

/** One log entry (Figure 2: "each entry contains command for state machine, and term when entry was received by leader"). */
export interface LogEntry {
  term: number;
  command: RaftCommand;
}

/** RequestVote arguments (Figure 2; §5.2, §5.4.1). */
export interface RequestVoteArgs {
  term: number;
  candidateId: NodeId;
  lastLogIndex: number;
  lastLogTerm: number;
}

/** AppendEntries arguments (Figure 2; §5.3). An empty `entries` is a heartbeat. */
export interface AppendEntriesArgs {
  term: number;
  leaderId: NodeId;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: LogEntry[];
  leaderCommit: number;
}

/**
 * What a snapshot holds (§7, Figure 12): the last included index and term, the state
 * machine's state at that index, and the configuration as of that index.
 */
export interface Snapshot {
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  machine: unknown;
  servers: NodeId[];
}

/**
 * Raft messages.
 * - `RequestVote` / `RequestVoteReply`: Figure 2.
 * - `AppendEntries` / `AppendEntriesReply`: Figure 2, with two additions. `matchIndex` (on
 *   success, prevLogIndex + entries.length: what the reply acknowledges, so a reordered reply
 *   cannot be misread) and the conflict hint `conflictIndex` / `conflictTerm` for the fast
 *   back-up of nextIndex (§5.3, last paragraphs; the 6.824 student guide's "accelerated log
 *   backtracking").
 * - `InstallSnapshot` / `InstallSnapshotReply`: Figure 13, the whole snapshot in one message
 *   (no `offset`/`done` chunks).
 * - `TimeoutNow`: start an election now (dissertation §3.10); tests and scenarios send it to
 *   choose who campaigns.
 * - `Start`: a test harness asks a server to append `command` if it is the leader (6.824's
 *   `rf.Start`); no reply.
 * - `ClientRequest` / `ClientReply`: a client's command and its result, or `ok: false` with a
 *   hint of who the leader may be (dissertation §6.2).
 * - `ChangeConfig`: ask the leader to add or remove one server (dissertation §4.1).
 */
export type RaftMessage =
  | ({ type: 'RequestVote' } & RequestVoteArgs)
  | { type: 'RequestVoteReply'; term: number; voteGranted: boolean }
  | ({ type: 'AppendEntries' } & AppendEntriesArgs)
  | { type: 'AppendEntriesReply'; term: number; success: boolean; matchIndex: number; conflictIndex: number; conflictTerm: number | null }
  | { type: 'InstallSnapshot'; term: number; leaderId: NodeId; snapshot: Snapshot }
  | { type: 'InstallSnapshotReply'; term: number; lastIncludedIndex: number }
  | { type: 'TimeoutNow' }
  | { type: 'Start'; command: unknown }
  | { type: 'ClientRequest'; requestId: string; command: unknown }
  | { type: 'ClientReply'; requestId: string; ok: boolean; result?: unknown; leaderHint?: NodeId | null }
  | { type: 'ChangeConfig'; action: 'add' | 'remove'; server: NodeId };

/**
 * Raft timers. Each carries what it was set for: an `ElectionTimeout` its epoch (every reset
 * starts a new epoch, so an older timer is stale), a `Heartbeat` the term it was set in, a
 * `DiskWrite` the replies that wait for a write to stable storage to finish (only with
 * `RaftNodeOptions.diskWriteMs` > 0; a crash before it fires loses them).
 */
export type RaftTimer =
  | { type: 'ElectionTimeout'; epoch: number }
  | { type: 'Heartbeat'; term: number }
  | { type: 'DiskWrite'; replies: { to: NodeId; msg: RaftMessage }[] };
