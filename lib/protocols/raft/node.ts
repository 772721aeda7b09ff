import { ConfigError, NodeId, assertNever, copyData, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { RaftLog, configAt, emptyLog, entriesFrom, entryAt, lastIndexOfTerm, lastLogIndex, lastLogTerm, termAt } from './log';
import { RaftStateMachine, digestMachine } from './machine';
import { AppendEntriesArgs, LogEntry, RaftCommand, RaftMessage, RaftTimer, Snapshot } from './messages';
import { RaftRules, checkRaftRuleResult, resolveRaftRules } from './rules';

/** Options of a Raft server. Only `servers` is required; times are virtual milliseconds. */
export interface RaftNodeOptions {
  /** The bootstrap configuration: the voting servers when the log holds no configuration entry. */
  servers: NodeId[];
  /** Election timeouts are drawn uniformly from [min, max] (§5.2, §9.3). Default 150 and 300. */
  electionTimeoutMsMin?: number;
  electionTimeoutMsMax?: number;
  /** How often a leader sends AppendEntries when idle (§5.2 heartbeats). Default 50. */
  heartbeatIntervalMs?: number;
  /** The pluggable rules (a learner's); the references by default. */
  rules?: Partial<RaftRules>;
  /** What committed commands are applied to. Default `digestMachine`. */
  stateMachine?: RaftStateMachine<any, any, any>;
  /** Take a snapshot once this many applied entries follow the last one (§7). Default Infinity (never). */
  snapshotThreshold?: number;
  /** A new leader appends a no-op entry of its term at once (dissertation §6.4). Default true. */
  noopOnElection?: boolean;
  /**
   * The fix to single-server membership changes (Ongaro, raft-dev, 2015; dissertation §4.1 as
   * corrected): a leader starts a configuration change only once an entry of its own term is
   * committed. Default true; false reproduces the two-leader bug (see `membershipTwoLeaders`).
   */
  safeConfigChange?: boolean;
  /** At most this many entries per AppendEntries. Default 64. */
  maxEntriesPerAppend?: number;
  /**
   * How long one write to stable storage takes, in ms (an fsync). Default 0: writes are instant
   * and nothing changes. Figure 2 asks that persistent state be "updated on stable storage
   * before responding to RPCs"; with `diskWriteMs` > 0 a server that wrote while handling a
   * request holds its reply (RequestVoteReply, AppendEntriesReply, InstallSnapshotReply) until
   * the write is done. The disk does one write at a time: the writes a handler makes form one
   * write, which starts when the earlier ones are done, and any reply waits for every write
   * still in progress (so replies leave in order). Requests (RequestVote, AppendEntries) leave
   * at once: a candidate or leader writes in parallel with sending (dissertation §10.2.1); it
   * counts its own vote or entries at once, which is early only if its disk is further behind
   * than a follower's round trip (not so in the Figure 16 experiment). The simulator's durable
   * storage holds a write at once; what the delay models is when other servers can learn of it.
   * A crash before the write is done loses the held replies. §5.6: "the broadcast time may range
   * from 0.5ms to 20ms, depending on storage technology".
   */
  diskWriteMs?: number;
}

/** The durable-storage keys: term and vote; log metadata; one key per entry; the snapshot. */
export const RAFT_TERM_KEY = 'raft:term';
export const RAFT_LOG_KEY = 'raft:log';
export const RAFT_SNAPSHOT_KEY = 'raft:snapshot';
export const raftEntryKey = (index: number) => `raft:entry:${index}`;

/** A server's role (§5.1, Figure 4). */
export type RaftRole = 'follower' | 'candidate' | 'leader';

/**
 * All of a server's state, plain data. The first block is Figure 2's persistent state (kept in
 * durable storage through ctx.persist before any reply), the rest is volatile (gone at a crash).
 */
export interface RaftState {
  currentTerm: number;
  votedFor: NodeId | null;
  log: RaftLog;
  snapshot: Snapshot | null;

  role: RaftRole;
  leaderId: NodeId | null;
  commitIndex: number;
  lastApplied: number;
  /** The state machine's state after applying entries 1..lastApplied. */
  machine: unknown;
  /** The configuration in effect: the latest in the log, and the index it came from (0: bootstrap or snapshot). */
  config: { servers: NodeId[]; index: number };
  /** Candidates: who granted a vote this term (itself included). */
  votes: NodeId[];
  /** Leaders (Figure 2): for each server, the next index to send and the highest index known replicated. */
  nextIndex: Record<NodeId, number>;
  matchIndex: Record<NodeId, number>;
  /** Leaders: client requests waiting for their entry to be applied, by log index. */
  pending: Record<number, { client: NodeId; requestId: string }>;
  /** Bumped at every election-timer reset; a timer of an older epoch is stale. */
  electionEpoch: number;
  electionTimerId: number | null;
  /** With `diskWriteMs` > 0: when the disk finishes the writes issued so far (0: idle), and when the last write was issued. */
  diskDoneAtMs: number;
  diskIssuedAtMs: number;
}

type Ctx = Context<RaftMessage, RaftTimer>;

/** Checks node options; throws a ConfigError naming the bad field. */
export function validateRaftNodeOptions(options: RaftNodeOptions): void {
  if (!options || !Array.isArray(options.servers) || options.servers.some((s) => typeof s !== 'string')) {
    throw new ConfigError('servers', 'an array of node ids (the bootstrap configuration)', options?.servers);
  }
  const min = requireNumberInRange('electionTimeoutMsMin', options.electionTimeoutMsMin ?? 150, 1, Infinity);
  requireNumberInRange('electionTimeoutMsMax', options.electionTimeoutMsMax ?? 300, min, Infinity);
  const heartbeat = requireNumberInRange('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 50, 0.001, Infinity);
  if (heartbeat >= min) throw new ConfigError('heartbeatIntervalMs', `less than electionTimeoutMsMin (${min}), or followers time out between heartbeats`, heartbeat);
  if (options.snapshotThreshold !== undefined && options.snapshotThreshold !== Infinity) requireInteger('snapshotThreshold', options.snapshotThreshold, 1);
  if (options.maxEntriesPerAppend !== undefined) requireInteger('maxEntriesPerAppend', options.maxEntriesPerAppend, 1);
  if (options.diskWriteMs !== undefined) requireNumberInRange('diskWriteMs', options.diskWriteMs, 0, Infinity);
}

/**
 * A Raft server (Ongaro & Ousterhout 2014): leader election (§5.2), log replication (§5.3)
 * with the safety restrictions of §5.4, persistence and crash recovery (Figure 2), log
 * compaction with InstallSnapshot (§7), single-server membership changes (dissertation §4.1),
 * and client requests answered once their entry is applied (§8). Like etcd-io/raft it does no
 * I/O: every effect goes through `ctx`. All of its state is `state` (plain data); the three
 * decisions a learner writes are the pluggable `rules`.
 *
 * Role changes happen in becomeFollower / startElection / becomeLeader only, and the term rule
 * of Figure 2 ("if RPC request or response contains term T > currentTerm: set currentTerm = T,
 * convert to follower") is applied once, before dispatch.
 *
 * Annotations (what lib/checkers/raft.ts and the harness read): 'candidate' {term}, 'vote'
 * {term, candidate}, 'leader' {term, lastIndex}, 'step-down' {term}, 'log-append' {index,
 * entries, term, role}, 'log-truncate' {index, term, role}, 'commit' {term, index} (leaders),
 * 'applied' {index, term, command}, 'snapshot' {index, term}, 'snapshot-installed' {index,
 * term, from, kept}, 'restored' {term, snapshotIndex, lastIndex}, 'config-change' {servers,
 * index}, 'config-rejected' {reason}.
 *
 * @example
 *   const servers = ['n1', 'n2', 'n3'];
 *   for (const id of servers) sim.addNode(id, () => new RaftNode({ servers }));
 */
export class RaftNode implements ProtocolNode<RaftMessage, RaftTimer> {
  state: RaftState;
  private readonly rules: RaftRules;
  private readonly machine: RaftStateMachine<any, any, any>;

  constructor(readonly options: RaftNodeOptions, state?: RaftState) {
    validateRaftNodeOptions(options);
    this.rules = resolveRaftRules(options.rules);
    this.machine = options.stateMachine ?? digestMachine;
    this.state = state ?? {
      currentTerm: 0,
      votedFor: null,
      log: emptyLog(),
      snapshot: null,
      role: 'follower',
      leaderId: null,
      commitIndex: 0,
      lastApplied: 0,
      machine: this.machine.init(),
      config: { servers: options.servers.slice(), index: 0 },
      votes: [],
      nextIndex: {},
      matchIndex: {},
      pending: {},
      electionEpoch: 0,
      electionTimerId: null,
      diskDoneAtMs: 0,
      diskIssuedAtMs: -1,
    };
  }

  // ------------------------------------------------------------------ start and restart

  /** Reloads the persistent state (Figure 2) after a crash: term, vote, snapshot, log. */
  init(ctx: Ctx): void {
    const s = this.state;
    const hard = ctx.load<{ currentTerm: number; votedFor: NodeId | null }>(RAFT_TERM_KEY);
    const snapshot = ctx.load<Snapshot>(RAFT_SNAPSHOT_KEY);
    const meta = ctx.load<{ snapshotIndex: number; snapshotTerm: number; lastIndex: number }>(RAFT_LOG_KEY);
    if (hard) {
      s.currentTerm = hard.currentTerm;
      s.votedFor = hard.votedFor;
    }
    if (snapshot) {
      s.snapshot = snapshot;
      s.machine = copyData(snapshot.machine);
      s.commitIndex = s.lastApplied = snapshot.lastIncludedIndex;
    }
    if (meta) {
      const entries: LogEntry[] = [];
      for (let i = meta.snapshotIndex + 1; i <= meta.lastIndex; i++) entries.push(ctx.load<LogEntry>(raftEntryKey(i)) as LogEntry);
      s.log = { snapshotIndex: meta.snapshotIndex, snapshotTerm: meta.snapshotTerm, entries };
    }
    this.refreshConfig();
    if (hard || meta || snapshot) ctx.annotate('restored', { term: s.currentTerm, snapshotIndex: s.log.snapshotIndex, lastIndex: lastLogIndex(s.log) });
    this.resetElectionTimer(ctx);
  }

  // ------------------------------------------------------------------ messages

  onMessage(from: NodeId, msg: RaftMessage, ctx: Ctx): void {
    const s = this.state;
    if ('term' in msg && msg.term > s.currentTerm) this.becomeFollower(msg.term, null, ctx);
    switch (msg.type) {
      case 'RequestVote': {
        const voter = { currentTerm: s.currentTerm, votedFor: s.votedFor, lastLogIndex: lastLogIndex(s.log), lastLogTerm: lastLogTerm(s.log) };
        const args = { term: msg.term, candidateId: msg.candidateId, lastLogIndex: msg.lastLogIndex, lastLogTerm: msg.lastLogTerm };
        const d = this.rules.handleRequestVote(voter, args);
        checkRaftRuleResult('handleRequestVote', d, () => `state ${JSON.stringify(voter)}, args ${JSON.stringify(args)}`);
        s.votedFor = d.votedFor;
        if (d.persist) this.saveHardState(ctx); // Figure 2: on stable storage before responding
        if (d.voteGranted) {
          ctx.annotate('vote', { term: s.currentTerm, candidate: msg.candidateId });
          this.resetElectionTimer(ctx); // Figure 2, Followers: granting a vote resets the timer
        }
        this.reply(from, { type: 'RequestVoteReply', term: s.currentTerm, voteGranted: d.voteGranted }, ctx);
        return;
      }
      case 'RequestVoteReply':
        if (s.role !== 'candidate' || msg.term !== s.currentTerm || !msg.voteGranted) return;
        if (!s.votes.includes(from)) s.votes.push(from);
        if (this.isQuorum(s.votes)) this.becomeLeader(ctx);
        return;
      case 'AppendEntries':
        return this.onAppendEntries(from, msg, ctx);
      case 'AppendEntriesReply':
        return this.onAppendEntriesReply(from, msg, ctx);
      case 'InstallSnapshot':
        return this.onInstallSnapshot(from, msg, ctx);
      case 'InstallSnapshotReply':
        if (s.role !== 'leader' || msg.term !== s.currentTerm) return;
        s.matchIndex[from] = Math.max(s.matchIndex[from] ?? 0, msg.lastIncludedIndex);
        s.nextIndex[from] = Math.max(s.nextIndex[from] ?? 1, s.matchIndex[from] + 1);
        this.advanceCommit(ctx);
        if (s.role === 'leader' && s.nextIndex[from] <= lastLogIndex(s.log)) this.sendAppend(from, ctx);
        return;
      case 'TimeoutNow':
        if (s.role !== 'leader') this.startElection(ctx);
        return;
      case 'Start':
        if (s.role === 'leader') this.propose({ type: 'command', data: msg.command }, ctx);
        return;
      case 'ClientRequest': {
        if (s.role !== 'leader') {
          ctx.send(from, { type: 'ClientReply', requestId: msg.requestId, ok: false, leaderHint: s.leaderId });
          return;
        }
        const index = this.propose({ type: 'command', data: msg.command, requestId: msg.requestId }, ctx);
        if (index > s.lastApplied) s.pending[index] = { client: from, requestId: msg.requestId };
        return;
      }
      case 'ChangeConfig':
        return this.onChangeConfig(msg.action, msg.server, ctx);
      case 'ClientReply':
        return; // for clients
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: RaftTimer, ctx: Ctx): void {
    const s = this.state;
    switch (timer.type) {
      case 'ElectionTimeout':
        if (timer.epoch !== s.electionEpoch) return; // stale: reset since
        s.electionTimerId = null;
        if (s.role === 'leader') this.resetElectionTimer(ctx);
        else this.startElection(ctx);
        return;
      case 'Heartbeat':
        if (s.role !== 'leader' || timer.term !== s.currentTerm) return;
        this.replicate(ctx);
        ctx.setTimer({ type: 'Heartbeat', term: s.currentTerm }, this.options.heartbeatIntervalMs ?? 50);
        return;
      case 'DiskWrite':
        for (const r of timer.replies) ctx.send(r.to, r.msg); // the write is done: the reply may leave
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  // ------------------------------------------------------------------ what a harness reads

  get role(): RaftRole {
    return this.state.role;
  }
  get currentTerm(): number {
    return this.state.currentTerm;
  }
  get lastIndex(): number {
    return lastLogIndex(this.state.log);
  }
  isLeader(): boolean {
    return this.state.role === 'leader';
  }

  // ------------------------------------------------------------------ roles (§5.2)

  /** Follower of `term` (Figure 2, All Servers). Forgets the vote when the term is new. */
  private becomeFollower(term: number, leaderId: NodeId | null, ctx: Ctx): void {
    const s = this.state;
    const wasLeader = s.role === 'leader';
    if (term > s.currentTerm) {
      s.currentTerm = term;
      s.votedFor = null;
      this.saveHardState(ctx);
    }
    s.role = 'follower';
    s.leaderId = leaderId;
    s.votes = [];
    if (wasLeader) {
      ctx.annotate('step-down', { term: s.currentTerm });
      this.failPending(ctx);
    }
  }

  /** Candidate (§5.2): a new term, a vote for itself (persisted), RequestVote to every other voter. */
  private startElection(ctx: Ctx): void {
    const s = this.state;
    this.resetElectionTimer(ctx);
    if (!s.config.servers.includes(ctx.id)) return; // not a voter (yet, or any more): never campaigns
    s.currentTerm++;
    s.votedFor = ctx.id;
    s.role = 'candidate';
    s.leaderId = null;
    s.votes = [ctx.id];
    this.saveHardState(ctx);
    ctx.annotate('candidate', { term: s.currentTerm });
    const args = { term: s.currentTerm, candidateId: ctx.id, lastLogIndex: lastLogIndex(s.log), lastLogTerm: lastLogTerm(s.log) };
    for (const peer of s.config.servers) if (peer !== ctx.id) ctx.send(peer, { type: 'RequestVote', ...args });
    if (this.isQuorum(s.votes)) this.becomeLeader(ctx);
  }

  /** Leader (§5.2, §5.3): reinitialise nextIndex and matchIndex, maybe a no-op, heartbeats. */
  private becomeLeader(ctx: Ctx): void {
    const s = this.state;
    s.role = 'leader';
    s.leaderId = ctx.id;
    s.votes = [];
    s.nextIndex = {};
    s.matchIndex = {};
    s.pending = {};
    ctx.annotate('leader', { term: s.currentTerm, lastIndex: lastLogIndex(s.log) });
    if (this.options.noopOnElection ?? true) this.propose({ type: 'noop' }, ctx);
    else this.replicate(ctx);
    ctx.setTimer({ type: 'Heartbeat', term: s.currentTerm }, this.options.heartbeatIntervalMs ?? 50);
  }

  private resetElectionTimer(ctx: Ctx): void {
    const s = this.state;
    if (s.electionTimerId !== null) ctx.cancelTimer(s.electionTimerId);
    s.electionEpoch++;
    const min = this.options.electionTimeoutMsMin ?? 150;
    const max = this.options.electionTimeoutMsMax ?? 300;
    const delay = max > min ? ctx.rng.uniform(min, max) : min;
    s.electionTimerId = ctx.setTimer({ type: 'ElectionTimeout', epoch: s.electionEpoch }, delay);
  }

  /** More than half of the current configuration's voters are in `nodes`. */
  private isQuorum(nodes: readonly NodeId[]): boolean {
    const voters = this.state.config.servers;
    return voters.filter((v) => nodes.includes(v)).length * 2 > voters.length;
  }

  // ------------------------------------------------------------------ replication (§5.3)

  private onAppendEntries(from: NodeId, msg: Extract<RaftMessage, { type: 'AppendEntries' }>, ctx: Ctx): void {
    const s = this.state;
    if (msg.term === s.currentTerm) {
      if (s.role === 'leader') {
        ctx.annotate('two-leaders', { term: s.currentTerm, other: msg.leaderId }); // only a broken rule gets here
      } else {
        if (s.role === 'candidate') this.becomeFollower(msg.term, msg.leaderId, ctx);
        s.leaderId = msg.leaderId;
        this.resetElectionTimer(ctx); // Figure 2, Followers: AppendEntries from the current leader
      }
    }
    const args: AppendEntriesArgs = { term: msg.term, leaderId: msg.leaderId, prevLogIndex: msg.prevLogIndex, prevLogTerm: msg.prevLogTerm, entries: msg.entries, leaderCommit: msg.leaderCommit };
    const input = { currentTerm: s.currentTerm, log: s.log, commitIndex: s.commitIndex };
    const d = s.role === 'leader' ? { success: false, log: s.log, commitIndex: s.commitIndex, matchIndex: 0, conflictIndex: 0, conflictTerm: null } : this.rules.handleAppendEntries(input, args);
    checkRaftRuleResult('handleAppendEntries', d, () => `log ${JSON.stringify(input.log).slice(0, 300)}, args ${JSON.stringify({ ...args, entries: args.entries.length })}`);
    this.replaceLog(d.log, ctx); // persisted before the reply
    if (d.commitIndex > s.commitIndex) {
      s.commitIndex = d.commitIndex;
      this.applyCommitted(ctx);
    }
    this.reply(from, { type: 'AppendEntriesReply', term: s.currentTerm, success: d.success, matchIndex: d.matchIndex, conflictIndex: d.conflictIndex, conflictTerm: d.conflictTerm }, ctx);
  }

  private onAppendEntriesReply(from: NodeId, msg: Extract<RaftMessage, { type: 'AppendEntriesReply' }>, ctx: Ctx): void {
    const s = this.state;
    if (s.role !== 'leader' || msg.term !== s.currentTerm) return;
    const match = s.matchIndex[from] ?? 0;
    const current = s.nextIndex[from] ?? lastLogIndex(s.log) + 1;
    if (msg.success) {
      const advanced = msg.matchIndex > match;
      if (advanced) s.matchIndex[from] = Math.min(msg.matchIndex, lastLogIndex(s.log));
      s.nextIndex[from] = Math.max(current, (s.matchIndex[from] ?? 0) + 1);
      this.advanceCommit(ctx);
      // Send the rest only on news: a reply that acknowledges nothing new (a late or reordered one)
      // would resend what the last send already carries (6.824's RPC count test catches that).
      if (advanced && s.role === 'leader' && s.nextIndex[from] <= lastLogIndex(s.log)) this.sendAppend(from, ctx);
      return;
    }
    // Fast back-up (§5.3 end; 6.824 student guide): skip the follower's whole conflicting term,
    // or to the leader's last entry of that term when the leader has it.
    let next = msg.conflictIndex;
    if (msg.conflictTerm !== null) {
      const last = lastIndexOfTerm(s.log, msg.conflictTerm);
      if (last > 0) next = last + 1;
    }
    if (next >= current) next = current - 1; // a stale reply, or a hint that does not help: one step back
    next = Math.max(next, match + 1, 1);
    if (next < current) {
      s.nextIndex[from] = next;
      this.sendAppend(from, ctx);
    }
  }

  /** Sends AppendEntries from nextIndex[peer], or InstallSnapshot when those entries are compacted (§7). */
  private sendAppend(peer: NodeId, ctx: Ctx): void {
    const s = this.state;
    const next = (s.nextIndex[peer] ??= lastLogIndex(s.log) + 1);
    const prevLogIndex = next - 1;
    if (prevLogIndex < s.log.snapshotIndex && s.snapshot) {
      ctx.send(peer, { type: 'InstallSnapshot', term: s.currentTerm, leaderId: ctx.id, snapshot: s.snapshot });
      return;
    }
    ctx.send(peer, {
      type: 'AppendEntries',
      term: s.currentTerm,
      leaderId: ctx.id,
      prevLogIndex,
      prevLogTerm: termAt(s.log, prevLogIndex) ?? 0,
      entries: entriesFrom(s.log, next, this.options.maxEntriesPerAppend ?? 64),
      leaderCommit: s.commitIndex,
    });
  }

  /** AppendEntries (or InstallSnapshot) to every peer: the current voters, and while a removal is uncommitted, the server being removed. */
  private replicate(ctx: Ctx): void {
    for (const peer of this.peers()) if (peer !== ctx.id) this.sendAppend(peer, ctx);
  }

  private peers(): NodeId[] {
    const s = this.state;
    if (s.config.index <= s.commitIndex) return s.config.servers;
    const before = configAt(s.log, s.config.index - 1, s.snapshot?.servers ?? this.options.servers).servers;
    return [...s.config.servers, ...before.filter((p) => !s.config.servers.includes(p))];
  }

  /** Leader: appends a new entry of its term, persists it, and sends it out. Returns its index. */
  private propose(command: RaftCommand, ctx: Ctx): number {
    const s = this.state;
    const index = lastLogIndex(s.log) + 1;
    const entry: LogEntry = { term: s.currentTerm, command };
    s.log.entries.push(entry);
    this.write(ctx, raftEntryKey(index), entry);
    this.saveLogMeta(ctx);
    ctx.annotate('log-append', { index, entries: [entry], term: s.currentTerm, role: s.role });
    if (command.type === 'config') this.refreshConfig();
    this.replicate(ctx);
    this.advanceCommit(ctx); // a one-server configuration commits at once
    return index;
  }

  /** The leader's commit rule (pluggable), then apply and, if it was removed, step down (dissertation §4.2.2). */
  private advanceCommit(ctx: Ctx): void {
    const s = this.state;
    if (s.role !== 'leader') return;
    const last = lastLogIndex(s.log);
    const matchIndex = s.config.servers.map((v) => (v === ctx.id ? last : s.matchIndex[v] ?? 0));
    const input = { currentTerm: s.currentTerm, commitIndex: s.commitIndex, matchIndex, log: s.log };
    const n = this.rules.advanceCommitIndex(input);
    checkRaftRuleResult('advanceCommitIndex', n, () => `term ${s.currentTerm}, commitIndex ${s.commitIndex}, matchIndex [${matchIndex.join(', ')}]`);
    if (n > last && n > s.commitIndex) throw new Error(`advanceCommitIndex returned ${n}, past the leader's last log index ${last} (term ${s.currentTerm}, matchIndex [${matchIndex.join(', ')}])`);
    if (n <= s.commitIndex) return;
    s.commitIndex = n;
    ctx.annotate('commit', { term: s.currentTerm, index: n });
    this.applyCommitted(ctx);
    if (!s.config.servers.includes(ctx.id) && s.config.index <= s.commitIndex) {
      ctx.annotate('removed', { term: s.currentTerm });
      this.becomeFollower(s.currentTerm, null, ctx);
    }
  }

  // ------------------------------------------------------------------ applying (§5.3, §8)

  private applyCommitted(ctx: Ctx): void {
    const s = this.state;
    const limit = Math.min(s.commitIndex, lastLogIndex(s.log));
    while (s.lastApplied < limit) {
      const index = s.lastApplied + 1;
      const entry = entryAt(s.log, index) as LogEntry;
      s.lastApplied = index;
      let result: unknown = undefined;
      if (entry.command.type === 'command') {
        const out = this.machine.apply(s.machine, entry.command.data, index);
        s.machine = out.state;
        result = out.result;
      }
      ctx.annotate('applied', { index, term: entry.term, command: entry.command });
      const waiting = s.pending[index];
      if (waiting) {
        delete s.pending[index];
        const same = entry.command.type === 'command' && entry.command.requestId === waiting.requestId;
        ctx.send(waiting.client, { type: 'ClientReply', requestId: waiting.requestId, ok: same, result, leaderHint: s.leaderId });
      }
    }
    this.maybeSnapshot(ctx);
  }

  /** Tells waiting clients to retry elsewhere (their entry may or may not commit). */
  private failPending(ctx: Ctx): void {
    const s = this.state;
    for (const key of Object.keys(s.pending)) {
      const p = s.pending[Number(key)];
      ctx.send(p.client, { type: 'ClientReply', requestId: p.requestId, ok: false, leaderHint: null });
    }
    s.pending = {};
  }

  // ------------------------------------------------------------------ snapshots (§7)

  private maybeSnapshot(ctx: Ctx): void {
    const s = this.state;
    const threshold = this.options.snapshotThreshold ?? Infinity;
    if (s.lastApplied - s.log.snapshotIndex < threshold) return;
    const index = s.lastApplied;
    const term = termAt(s.log, index) as number;
    const servers = configAt(s.log, index, s.snapshot?.servers ?? this.options.servers).servers;
    s.snapshot = { lastIncludedIndex: index, lastIncludedTerm: term, machine: copyData(s.machine), servers };
    s.log = { snapshotIndex: index, snapshotTerm: term, entries: entriesFrom(s.log, index + 1) };
    this.write(ctx, RAFT_SNAPSHOT_KEY, s.snapshot);
    this.saveLogMeta(ctx);
    ctx.annotate('snapshot', { index, term });
  }

  private onInstallSnapshot(from: NodeId, msg: Extract<RaftMessage, { type: 'InstallSnapshot' }>, ctx: Ctx): void {
    const s = this.state;
    const snap = msg.snapshot;
    if (msg.term < s.currentTerm) {
      this.reply(from, { type: 'InstallSnapshotReply', term: s.currentTerm, lastIncludedIndex: 0 }, ctx);
      return;
    }
    if (s.role === 'candidate') this.becomeFollower(msg.term, msg.leaderId, ctx);
    s.leaderId = msg.leaderId;
    this.resetElectionTimer(ctx);
    if (snap.lastIncludedIndex > s.commitIndex) {
      // Figure 13, rules 6-7: keep the entries that follow if the log has the snapshot's last entry; else discard the log.
      const kept = termAt(s.log, snap.lastIncludedIndex) === snap.lastIncludedTerm;
      const entries = kept ? entriesFrom(s.log, snap.lastIncludedIndex + 1) : [];
      s.snapshot = copyData(snap);
      s.log = { snapshotIndex: snap.lastIncludedIndex, snapshotTerm: snap.lastIncludedTerm, entries };
      s.machine = copyData(snap.machine);
      s.commitIndex = snap.lastIncludedIndex;
      s.lastApplied = snap.lastIncludedIndex;
      this.write(ctx, RAFT_SNAPSHOT_KEY, s.snapshot);
      this.saveLogMeta(ctx);
      this.refreshConfig();
      ctx.annotate('snapshot-installed', { index: snap.lastIncludedIndex, term: snap.lastIncludedTerm, from, kept });
    }
    this.reply(from, { type: 'InstallSnapshotReply', term: s.currentTerm, lastIncludedIndex: snap.lastIncludedIndex }, ctx);
  }

  // ------------------------------------------------------------------ membership (dissertation §4.1)

  private onChangeConfig(action: 'add' | 'remove', server: NodeId, ctx: Ctx): void {
    const s = this.state;
    if (s.role !== 'leader') return;
    const reject = (reason: string) => ctx.annotate('config-rejected', { term: s.currentTerm, action, server, reason });
    const present = s.config.servers.includes(server);
    if (action === 'add' ? present : !present) return reject(`${server} is ${present ? 'already' : 'not'} in the configuration`);
    if (s.config.index > s.commitIndex) return reject(`the configuration at index ${s.config.index} is not committed yet (one change at a time)`);
    if ((this.options.safeConfigChange ?? true) && termAt(s.log, s.commitIndex) !== s.currentTerm) {
      return reject(`no entry of term ${s.currentTerm} is committed yet (a new leader first commits an entry of its term)`);
    }
    const servers = action === 'add' ? [...s.config.servers, server] : s.config.servers.filter((x) => x !== server);
    ctx.annotate('config-change', { term: s.currentTerm, servers, index: lastLogIndex(s.log) + 1 });
    this.propose({ type: 'config', servers }, ctx);
  }

  // ------------------------------------------------------------------ the log and durable storage

  /** Adopts the rule's log: persists the entries that changed and notes appends and truncations. */
  private replaceLog(next: RaftLog, ctx: Ctx): void {
    const s = this.state;
    const prev = s.log;
    if (next === prev) return;
    if (next.snapshotIndex !== prev.snapshotIndex || next.snapshotTerm !== prev.snapshotTerm) {
      throw new Error(`handleAppendEntries changed the snapshot fields of the log (snapshotIndex ${prev.snapshotIndex} -> ${next.snapshotIndex}); it must keep them`);
    }
    let k = 0;
    const common = Math.min(prev.entries.length, next.entries.length);
    while (k < common && sameEntry(prev.entries[k], next.entries[k])) k++;
    const first = prev.snapshotIndex + 1 + k;
    s.log = next;
    if (k === prev.entries.length && k === next.entries.length) return;
    if (k < prev.entries.length) ctx.annotate('log-truncate', { index: first, term: s.currentTerm, role: s.role });
    if (k < next.entries.length) {
      const added = next.entries.slice(k);
      added.forEach((entry, i) => this.write(ctx, raftEntryKey(first + i), entry));
      ctx.annotate('log-append', { index: first, entries: added, term: s.currentTerm, role: s.role });
    }
    this.saveLogMeta(ctx);
    this.refreshConfig();
  }

  private refreshConfig(): void {
    const s = this.state;
    s.config = configAt(s.log, lastLogIndex(s.log), s.snapshot?.servers ?? this.options.servers);
  }

  /**
   * Every write to stable storage goes through here. With `diskWriteMs` > 0 it also keeps the
   * disk's schedule: writes issued at the same instant form one write (one fsync); a new write
   * starts when the earlier ones are done.
   */
  private write(ctx: Ctx, key: string, value: unknown): void {
    ctx.persist(key, value);
    const diskWriteMs = this.options.diskWriteMs ?? 0;
    if (diskWriteMs <= 0) return;
    const s = this.state;
    const now = ctx.now();
    if (s.diskIssuedAtMs === now && s.diskDoneAtMs > now) return; // joins the write issued this instant
    s.diskDoneAtMs = Math.max(now, s.diskDoneAtMs) + diskWriteMs;
    s.diskIssuedAtMs = now;
  }

  /** Sends a reply to an RPC, after the writes in progress are done (Figure 2: stable storage before responding). */
  private reply(to: NodeId, msg: RaftMessage, ctx: Ctx): void {
    const waitMs = this.state.diskDoneAtMs - ctx.now();
    if (waitMs > 0) ctx.setTimer({ type: 'DiskWrite', replies: [{ to, msg }] }, waitMs);
    else ctx.send(to, msg);
  }

  private saveHardState(ctx: Ctx): void {
    this.write(ctx, RAFT_TERM_KEY, { currentTerm: this.state.currentTerm, votedFor: this.state.votedFor });
  }

  /**
   * The log's shape; the entries have a key each. The simulator's storage has no delete, so
   * keys of compacted or truncated entries stay behind and are ignored on restart.
   */
  private saveLogMeta(ctx: Ctx): void {
    const log = this.state.log;
    this.write(ctx, RAFT_LOG_KEY, { snapshotIndex: log.snapshotIndex, snapshotTerm: log.snapshotTerm, lastIndex: lastLogIndex(log) });
  }
}

function sameEntry(a: LogEntry, b: LogEntry): boolean {
  return a === b || (a.term === b.term && JSON.stringify(a.command) === JSON.stringify(b.command));
}

