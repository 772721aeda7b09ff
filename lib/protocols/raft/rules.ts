import { ConfigError, NodeId } from '../../core';
import { RaftLog, firstIndexOfTerm, lastLogIndex, termAt, truncateFrom } from './log';
import { AppendEntriesArgs, RequestVoteArgs } from './messages';

/**
 * The three Raft rules where the understanding lives, as pure functions with exact contracts
 * (Ongaro & Ousterhout 2014, Figure 2), kept apart from message handling so that a learner can
 * write them and graded tests run the whole protocol, under faults, with the learner's rules
 * inside (pass them as `rules` to `RaftNode`, `raftCluster`, `RaftHarness` or `raftChaosRun`).
 * The node does everything else: it applies the "All Servers" term rule before calling a rule
 * (a message with a higher term makes it adopt that term, forget its vote and become a
 * follower, persisted), persists what the rule says, sends the replies, and keeps the leader's
 * nextIndex/matchIndex.
 */

/** What a voter knows when it handles RequestVote. */
export interface VoterState {
  /** The voter's current term; the node has already adopted args.term if it was higher. */
  currentTerm: number;
  /** Whom it voted for in currentTerm, or null. */
  votedFor: NodeId | null;
  /** The index and term of the last entry of its log (0, 0 when empty). */
  lastLogIndex: number;
  lastLogTerm: number;
}

/** The vote decision. */
export interface VoteDecision {
  voteGranted: boolean;
  /** votedFor after this request (unchanged when the vote is refused). */
  votedFor: NodeId | null;
  /**
   * True when votedFor changed and must be written to stable storage before the reply is
   * sent (Figure 2: "Persistent state on all servers: (Updated on stable storage before
   * responding to RPCs)").
   */
  persist: boolean;
}

/**
 * RequestVote receiver (Figure 2, "RequestVote RPC, Receiver implementation"; §5.2, §5.4.1).
 *
 * Contract:
 * - If `args.term < state.currentTerm`: refuse (Figure 2, rule 1).
 * - Grant iff `state.votedFor` is null or `args.candidateId`, AND the candidate's log is at
 *   least as up-to-date as the voter's (§5.4.1: the last entries' terms decide; if they are
 *   equal, the longer log is more up-to-date): `args.lastLogTerm > state.lastLogTerm`, or equal
 *   terms and `args.lastLogIndex >= state.lastLogIndex`. One vote per term (§5.2).
 * - Granting: `{ voteGranted: true, votedFor: args.candidateId, persist: <votedFor changed> }`.
 *   Refusing: `{ voteGranted: false, votedFor: state.votedFor, persist: false }`.
 * - Do not mutate `state`.
 *
 * @example
 *   handleRequestVote({ currentTerm: 2, votedFor: null, lastLogIndex: 3, lastLogTerm: 2 },
 *     { term: 2, candidateId: 'n2', lastLogIndex: 3, lastLogTerm: 2 });
 *   // { voteGranted: true, votedFor: 'n2', persist: true }
 */
export type RequestVoteRule = (state: VoterState, args: RequestVoteArgs) => VoteDecision;

/** What a follower knows when it handles AppendEntries. */
export interface FollowerState {
  /** Its current term; the node has already adopted args.term if it was higher. */
  currentTerm: number;
  /** Its log (with a snapshot offset: see RaftLog, termAt, lastLogIndex). */
  log: RaftLog;
  /** Its commit index. Entries up to log.snapshotIndex are committed (commitIndex >= snapshotIndex). */
  commitIndex: number;
}

/** The AppendEntries decision. */
export interface AppendDecision {
  success: boolean;
  /** The log after this request (the same object when nothing changed). */
  log: RaftLog;
  /** The commit index after this request. */
  commitIndex: number;
  /** On success: prevLogIndex + entries.length, the last index known to match the leader's log. On failure: 0. */
  matchIndex: number;
  /** On failure, the conflict hint for the leader's fast back-up (see AppendEntriesRule); on success 0 and null. */
  conflictIndex: number;
  conflictTerm: number | null;
}

/**
 * AppendEntries receiver (Figure 2, "AppendEntries RPC, Receiver implementation"; §5.3).
 *
 * Contract, in order:
 * 1. If `args.term < state.currentTerm`: fail (conflictIndex 0, conflictTerm null), log unchanged.
 * 2. Entries at or below `state.log.snapshotIndex` are committed and match the leader's: if
 *    `args.prevLogIndex < log.snapshotIndex`, skip the entries that fall inside the snapshot
 *    and go on as if prevLogIndex were snapshotIndex (its term is log.snapshotTerm).
 * 3. Consistency check (Log Matching, §5.3): if the log has no entry at prevLogIndex (it is
 *    shorter), fail with `conflictIndex = lastLogIndex(log) + 1`, `conflictTerm = null`. If the
 *    entry at prevLogIndex has another term than args.prevLogTerm, fail with `conflictTerm` =
 *    that term and `conflictIndex` = the first index of the log holding that term (but not at or
 *    below snapshotIndex: see firstIndexOfTerm). The log is unchanged on failure.
 * 4. For each new entry at index prevLogIndex + 1 + k: if the log has an entry there with a
 *    different term, delete it and all that follow (Figure 2, rule 3), then append the rest;
 *    if it has the same term, keep it (it is the same entry). Only a real conflict truncates:
 *    a stale or duplicated AppendEntries whose entries all match leaves the log as it is (and
 *    never removes entries that follow them).
 * 5. If `args.leaderCommit > commitIndex`: commitIndex = min(leaderCommit, prevLogIndex +
 *    entries.length) (Figure 2, rule 5: "index of last new entry"). Never lower it.
 * 6. Success: matchIndex = prevLogIndex + entries.length (with the original prevLogIndex).
 * - Do not mutate `state` or `args`; return a new log object when the log changes.
 *
 * @example
 *   handleAppendEntries({ currentTerm: 1, log: emptyLog(), commitIndex: 0 },
 *     { term: 1, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, entries: [e], leaderCommit: 1 });
 *   // { success: true, log: { ..., entries: [e] }, commitIndex: 1, matchIndex: 1, conflictIndex: 0, conflictTerm: null }
 */
export type AppendEntriesRule = (state: FollowerState, args: AppendEntriesArgs) => AppendDecision;

/** What the leader knows when it decides how far it may commit. */
export interface CommitInput {
  currentTerm: number;
  commitIndex: number;
  /**
   * For each voting server of the current configuration (the leader included, with its own
   * last log index; a leader that is not in the configuration is left out), the highest index
   * known to be replicated on it.
   */
  matchIndex: number[];
  /** The leader's log, for the terms of its entries (termAt). */
  log: RaftLog;
}

/**
 * The leader's commit rule (Figure 2, "Rules for Servers, Leaders", last bullet; §5.3, §5.4.2).
 *
 * Contract: return the largest N > commitIndex such that more than half of `matchIndex` are
 * >= N and `termAt(log, N) === currentTerm`; if there is none, return commitIndex. Entries of
 * earlier terms are never committed by counting replicas (§5.4.2, Figure 8): they become
 * committed when an entry of the current term after them is.
 *
 * @example
 *   advanceCommitIndex({ currentTerm: 2, commitIndex: 0, matchIndex: [3, 3, 1], log }); // 3 if termAt(log, 3) === 2
 */
export type CommitRule = (input: CommitInput) => number;

/** The pluggable rules together: what a learner's module exports and a graded test passes in. */
export interface RaftRules {
  handleRequestVote: RequestVoteRule;
  handleAppendEntries: AppendEntriesRule;
  advanceCommitIndex: CommitRule;
}

/** Reference RequestVote receiver (Figure 2, §5.2, §5.4.1). */
export const handleRequestVote: RequestVoteRule = (state, args) => {
  const refuse = { voteGranted: false, votedFor: state.votedFor, persist: false };
  if (args.term < state.currentTerm) return refuse;
  if (state.votedFor !== null && state.votedFor !== args.candidateId) return refuse;
  const upToDate = args.lastLogTerm > state.lastLogTerm || (args.lastLogTerm === state.lastLogTerm && args.lastLogIndex >= state.lastLogIndex);
  if (!upToDate) return refuse;
  return { voteGranted: true, votedFor: args.candidateId, persist: state.votedFor !== args.candidateId };
};

/** Reference AppendEntries receiver (Figure 2, §5.3, with the conflict hint). */
export const handleAppendEntries: AppendEntriesRule = (state, args) => {
  const fail = (conflictIndex: number, conflictTerm: number | null): AppendDecision => ({
    success: false,
    log: state.log,
    commitIndex: state.commitIndex,
    matchIndex: 0,
    conflictIndex,
    conflictTerm,
  });
  if (args.term < state.currentTerm) return fail(0, null);
  let log = state.log;
  let prevLogIndex = args.prevLogIndex;
  let entries = args.entries;
  if (prevLogIndex < log.snapshotIndex) {
    entries = entries.slice(Math.min(entries.length, log.snapshotIndex - prevLogIndex));
    prevLogIndex = log.snapshotIndex;
  } else {
    const term = termAt(log, prevLogIndex);
    if (term === undefined) return fail(lastLogIndex(log) + 1, null);
    if (term !== args.prevLogTerm) return fail(firstIndexOfTerm(log, prevLogIndex, term), term);
  }
  for (let k = 0; k < entries.length; k++) {
    const index = prevLogIndex + 1 + k;
    const existing = termAt(log, index);
    if (existing === entries[k].term) continue;
    const kept = existing === undefined ? log : truncateFrom(log, index);
    log = { ...kept, entries: [...kept.entries, ...entries.slice(k)] };
    break;
  }
  const lastNew = args.prevLogIndex + args.entries.length;
  const commitIndex = args.leaderCommit > state.commitIndex ? Math.max(state.commitIndex, Math.min(args.leaderCommit, lastNew)) : state.commitIndex;
  return { success: true, log, commitIndex, matchIndex: lastNew, conflictIndex: 0, conflictTerm: null };
};

/** Reference commit rule: a majority has N, and N is of the current term (§5.4.2). */
export const advanceCommitIndex: CommitRule = ({ currentTerm, commitIndex, matchIndex, log }) => {
  const sorted = matchIndex.slice().sort((a, b) => b - a);
  const majorityIndex = sorted[Math.floor(sorted.length / 2)] ?? 0; // the highest index on more than half
  for (let n = majorityIndex; n > commitIndex; n--) {
    const term = termAt(log, n);
    if (term === currentTerm) return n;
    if (term !== undefined && term < currentTerm) break; // terms only fall going down the log
  }
  return commitIndex;
};

/** The reference rules: the defaults of every node, cluster, harness and sweep. */
export const referenceRaftRules: RaftRules = { handleRequestVote, handleAppendEntries, advanceCommitIndex };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveRaftRules(rules: Partial<RaftRules> = {}): RaftRules {
  const out: RaftRules = { ...referenceRaftRules };
  for (const name of Object.keys(rules) as (keyof RaftRules)[]) {
    if (!(name in referenceRaftRules)) {
      throw new ConfigError(`rules.${String(name)}`, `one of ${Object.keys(referenceRaftRules).join(', ')}`, name);
    }
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the rules, each a slip a learner makes. test/unit/raft-bugs.test.ts
 * shows that the checkers catch every one.
 */
export const brokenRaftRules = {
  /** Ignores votedFor: grants every up-to-date candidate of the term, so two can win one term (breaks §5.2). */
  grantTwoVotesPerTerm: {
    handleRequestVote: ((state, args) => {
      const r = handleRequestVote({ ...state, votedFor: null }, args);
      return r.voteGranted ? { ...r, persist: true } : { ...r, votedFor: state.votedFor };
    }) as RequestVoteRule,
  },
  /** Grants without the up-to-date check, so a candidate missing committed entries can win (breaks §5.4.1). */
  skipUpToDateCheck: {
    handleRequestVote: ((state, args) => handleRequestVote({ ...state, lastLogIndex: 0, lastLogTerm: 0 }, args)) as RequestVoteRule,
  },
  /**
   * Replaces everything after prevLogIndex with the request's entries, even when they match: a
   * delayed, stale AppendEntries then deletes entries the follower had acknowledged (Figure 2
   * rule 3 says: only "if an existing entry conflicts with a new one").
   */
  truncateOnStaleAppend: {
    handleAppendEntries: ((state, args) => {
      const r = handleAppendEntries(state, args);
      if (!r.success || args.prevLogIndex < state.log.snapshotIndex) return r;
      const kept = truncateFrom(r.log, args.prevLogIndex + 1);
      return { ...r, log: { ...kept, entries: [...kept.entries, ...args.entries] } };
    }) as AppendEntriesRule,
  },
  /** Checks only that an entry exists at prevLogIndex, not its term: logs that differ get glued together (breaks Log Matching, §5.3). */
  skipPrevLogTermCheck: {
    handleAppendEntries: ((state, args) => {
      const term = termAt(state.log, args.prevLogIndex);
      return handleAppendEntries(state, term === undefined ? args : { ...args, prevLogTerm: term });
    }) as AppendEntriesRule,
  },
  /** Commits the highest index a majority has, whatever its term (Figure 8: breaks Leader Completeness, §5.4.2). */
  commitEarlierTermsByCount: {
    advanceCommitIndex: (({ commitIndex, matchIndex }) => {
      const sorted = matchIndex.slice().sort((a, b) => b - a);
      return Math.max(commitIndex, sorted[Math.floor(sorted.length / 2)] ?? 0);
    }) as CommitRule,
  },
  /** Grants correctly but never asks to persist votedFor: after a crash the voter can vote again in the same term. */
  forgetVoteOnCrash: {
    handleRequestVote: ((state, args) => ({ ...handleRequestVote(state, args), persist: false })) as RequestVoteRule,
  },
} satisfies Record<string, Partial<RaftRules>>;

/** Checks a rule's result shape, so that a wrong answer fails with a message naming the rule and its input. */
export function checkRaftRuleResult(rule: keyof RaftRules, result: unknown, input: () => string): void {
  const r = result as Record<string, unknown> | null | undefined;
  let problem: string | null = null;
  if (rule === 'handleRequestVote') {
    if (!r || typeof r.voteGranted !== 'boolean' || typeof r.persist !== 'boolean' || !(r.votedFor === null || typeof r.votedFor === 'string')) {
      problem = '{ voteGranted: boolean, votedFor: NodeId | null, persist: boolean }';
    }
  } else if (rule === 'handleAppendEntries') {
    const log = r?.log as RaftLog | undefined;
    if (
      !r ||
      typeof r.success !== 'boolean' ||
      !log ||
      !Array.isArray(log.entries) ||
      typeof log.snapshotIndex !== 'number' ||
      typeof r.commitIndex !== 'number' ||
      typeof r.matchIndex !== 'number' ||
      typeof r.conflictIndex !== 'number' ||
      !(r.conflictTerm === null || typeof r.conflictTerm === 'number')
    ) {
      problem = '{ success, log: RaftLog, commitIndex, matchIndex, conflictIndex, conflictTerm }';
    }
  } else if (!(typeof result === 'number' && Number.isInteger(result))) {
    problem = 'an integer index';
  }
  if (problem === null) return;
  const shown = result === undefined ? 'undefined' : JSON.stringify(result);
  throw new Error(`${rule} returned ${shown} for ${input()}; it must return ${problem}`);
}
