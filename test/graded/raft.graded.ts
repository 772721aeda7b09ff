/**
 * Graded tests of the Raft exercise (exercises/raft.ts): vote granting (handleRequestVote),
 * the AppendEntries receiver (handleAppendEntries) and the leader's commit rule
 * (advanceCommitIndex), Ongaro & Ousterhout 2014, Figure 2.
 *
 * First, unit cases check each contract on frozen inputs, and a wrong answer names the rule it
 * breaks: two votes in a term, no up-to-date check, votedFor not persisted, no prevLogTerm
 * check, truncation on a stale AppendEntries, commitIndex past the last new entry, or an
 * earlier term's entry committed by counting replicas (Figure 8). Then the learner's three
 * rules run inside the real servers in the lab tests of lib/protocols/raft/lab-tests.ts. These
 * are MIT 6.824's Raft tests (2A-2D) in simulated time, with the key-value store's
 * linearizability tests and three scripted scenarios. Each runs over several seeds, and a
 * failure names the broken property (Figure 3), the seed and the simulated time.
 */
import { frozenCopy, gradedSuite, implementation, type GradedTest, failRule as fail, callFrozenRule } from '../../lib/grade';
import {
  RaftHarnessError,
  formatLog,
  raftLabTests,
  type AppendDecision,
  type AppendEntriesArgs,
  type CommitInput,
  type FollowerState,
  type LogEntry,
  type RaftLog,
  type RaftRules,
  type RequestVoteArgs,
  type VoteDecision,
  type VoterState,
} from '../../lib/protocols/raft';

type Exercise = typeof import('../../solutions/raft');

const RULE_NAMES = ['handleRequestVote', 'handleAppendEntries', 'advanceCommitIndex'] as const;

/** The learner's three rules (or the reference, with --target solutions), as the servers take them. */
function rules(): RaftRules {
  const module = implementation<Exercise>('raft');
  for (const name of RULE_NAMES) {
    if (typeof module[name] !== 'function') throw new Error(`exercises/raft.ts must export a function ${name} (it exports ${typeof module[name]})`);
  }
  return { handleRequestVote: module.handleRequestVote, handleAppendEntries: module.handleAppendEntries, advanceCommitIndex: module.advanceCommitIndex };
}

// ---------------------------------------------------------------------------------------------
// The rules, by the names a failure reports
// ---------------------------------------------------------------------------------------------

const VOTE_STALE = 'RequestVote rule 1: refuse a candidate of an older term (Figure 2)';
const VOTE_ONCE = 'one vote per term (Figure 2, RequestVote rule 2; §5.2)';
const VOTE_UP_TO_DATE = 'election restriction: vote only for a log at least as up-to-date (§5.4.1)';
const VOTE_PERSIST = 'votedFor is persisted before the reply (Figure 2, persistent state)';
const APPEND_STALE = 'AppendEntries rule 1: reply false if term < currentTerm (Figure 2)';
const APPEND_CHECK = 'AppendEntries rule 2: the consistency check on prevLogIndex and prevLogTerm (Log Matching, §5.3)';
const APPEND_HINT = 'the conflict hint for the fast back-up (§5.3)';
const APPEND_TRUNCATE = 'AppendEntries rules 3-4: delete only conflicting entries, append the new ones (Figure 2)';
const APPEND_COMMIT = 'AppendEntries rule 5: commitIndex = min(leaderCommit, index of last new entry) (Figure 2)';
const APPEND_SNAPSHOT = 'entries inside the snapshot are committed: skip them (§7)';
const COMMIT_MAJORITY = "the leader's commit rule: a strict majority of matchIndex (Figure 2, Leaders)";
const COMMIT_TERM = "the leader's commit rule: count replicas only for entries of the current term (§5.4.2, Figure 8)";

// ---------------------------------------------------------------------------------------------
// Helpers for the unit cases
// ---------------------------------------------------------------------------------------------

/** An entry of `term` at `index`, with a command that names both, so that a misplaced entry shows. */
function entry(index: number, term: number, from = ''): LogEntry {
  return { term, command: { type: 'command', data: `${from}${index}:${term}` } };
}

/** A log with the given terms at indexes snapshotIndex + 1, ... */
function log(terms: number[], snapshot: { index: number; term: number } = { index: 0, term: 0 }, from = ''): RaftLog {
  return { snapshotIndex: snapshot.index, snapshotTerm: snapshot.term, entries: terms.map((t, k) => entry(snapshot.index + 1 + k, t, from)) };
}

/** Entries the leader sends, from index `first` on (their commands are marked 'L', the leader's). */
function sent(first: number, terms: number[]): LogEntry[] {
  return terms.map((t, k) => entry(first + k, t, 'L'));
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, call: string, run: () => R): R => callFrozenRule(rule, call, run, 'build a new object (a new log: { ...log, entries: [...] }); leave state, its log and args as they were');

// ---------------------------------------------------------------------------------------------
// RequestVote
// ---------------------------------------------------------------------------------------------

interface VoteCase {
  rule: string;
  state: VoterState;
  args: RequestVoteArgs;
  grant: boolean;
  why: string;
}

const voter = (currentTerm: number, votedFor: string | null, lastLogIndex: number, lastLogTerm: number): VoterState => ({ currentTerm, votedFor, lastLogIndex, lastLogTerm });
const request = (term: number, candidateId: string, lastLogIndex: number, lastLogTerm: number): RequestVoteArgs => ({ term, candidateId, lastLogIndex, lastLogTerm });

function showVoteCall(state: VoterState, args: RequestVoteArgs): string {
  return `handleRequestVote({ currentTerm: ${state.currentTerm}, votedFor: ${show(state.votedFor)}, last entry ${state.lastLogIndex}:${state.lastLogTerm} }, RequestVote(term ${args.term}, ${args.candidateId}, last entry ${args.lastLogIndex}:${args.lastLogTerm}))`;
}

/** Runs vote cases: the grant decision, then votedFor, then (with checkPersist) the persist flag. */
function checkVotes(cases: VoteCase[], checkPersist = false): void {
  const { handleRequestVote } = rules();
  for (const c of cases) {
    const call = showVoteCall(c.state, c.args);
    const d = callRule('handleRequestVote', call, () => handleRequestVote(frozenCopy(c.state), frozenCopy(c.args))) as VoteDecision | undefined;
    if (!d || typeof d.voteGranted !== 'boolean' || typeof d.persist !== 'boolean' || !(d.votedFor === null || typeof d.votedFor === 'string')) {
      fail(c.rule, `${call} returned ${show(d)}; it must return { voteGranted: boolean, votedFor: NodeId | null, persist: boolean }`, 'see the contract in exercises/raft.ts');
    }
    if (d.voteGranted !== c.grant) fail(c.rule, `${call} ${d.voteGranted ? 'granted' : 'refused'} the vote, expected it to ${c.grant ? 'grant' : 'refuse'} it`, c.why);
    const votedFor = c.grant ? c.args.candidateId : c.state.votedFor;
    if (d.votedFor !== votedFor) {
      fail(c.grant ? VOTE_ONCE : c.rule, `${call} returned votedFor ${show(d.votedFor)}, expected ${show(votedFor)}`, c.grant ? 'a granted vote is recorded: votedFor = the candidate' : 'a refusal leaves votedFor as it was');
    }
    if (checkPersist && c.grant && c.state.votedFor !== c.args.candidateId && !d.persist) {
      fail(VOTE_PERSIST, `${call} granted the vote with persist: false: not persisting votedFor before replying`, 'votedFor changed, so return persist: true: a voter that crashes after replying must not forget its vote and vote again in the same term');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AppendEntries
// ---------------------------------------------------------------------------------------------

interface AppendCase {
  rule: string;
  state: FollowerState;
  args: AppendEntriesArgs;
  /** What the decision must hold; the log is compared by its snapshot fields and entries. */
  expected: Omit<AppendDecision, 'log'> & { log: RaftLog };
  why: string;
  /** The rule a wrong conflict hint breaks (default: `rule`). */
  hintRule?: string;
}

const follower = (currentTerm: number, l: RaftLog, commitIndex: number): FollowerState => ({ currentTerm, log: l, commitIndex });
const append = (term: number, prevLogIndex: number, prevLogTerm: number, entries: LogEntry[], leaderCommit: number): AppendEntriesArgs => ({ term, leaderId: 'n1', prevLogIndex, prevLogTerm, entries, leaderCommit });
const ok = (l: RaftLog, commitIndex: number, matchIndex: number) => ({ success: true, log: l, commitIndex, matchIndex, conflictIndex: 0, conflictTerm: null });
const refused = (l: RaftLog, commitIndex: number, conflictIndex: number, conflictTerm: number | null) => ({ success: false, log: l, commitIndex, matchIndex: 0, conflictIndex, conflictTerm });

function showAppendCall(state: FollowerState, args: AppendEntriesArgs): string {
  const entries = args.entries.map((e, k) => `${args.prevLogIndex + 1 + k}:${e.term}`).join(' ');
  return `handleAppendEntries({ currentTerm: ${state.currentTerm}, log ${formatLog(state.log)}, commitIndex ${state.commitIndex} }, AppendEntries(term ${args.term}, prevLogIndex ${args.prevLogIndex}, prevLogTerm ${args.prevLogTerm}, entries [${entries}], leaderCommit ${args.leaderCommit}))`;
}

function sameLog(a: RaftLog, b: RaftLog): boolean {
  return a.snapshotIndex === b.snapshotIndex && a.snapshotTerm === b.snapshotTerm && JSON.stringify(a.entries) === JSON.stringify(b.entries);
}

/**
 * Runs AppendEntries cases. `fields` says which parts of the decision this test grades (the
 * others are graded by their own tests, so that one mistake costs one test).
 */
function checkAppends(cases: AppendCase[], fields: readonly ('success' | 'log' | 'commitIndex' | 'matchIndex' | 'hint')[]): void {
  const { handleAppendEntries } = rules();
  for (const c of cases) {
    const call = showAppendCall(c.state, c.args);
    const d = callRule('handleAppendEntries', call, () => handleAppendEntries(frozenCopy(c.state), frozenCopy(c.args))) as AppendDecision | undefined;
    const shapeOk =
      d && typeof d.success === 'boolean' && d.log && Array.isArray(d.log.entries) && typeof d.commitIndex === 'number' && typeof d.matchIndex === 'number' && typeof d.conflictIndex === 'number' && (d.conflictTerm === null || typeof d.conflictTerm === 'number');
    if (!shapeOk) fail(c.rule, `${call} returned ${show(d)}; it must return { success, log: RaftLog, commitIndex, matchIndex, conflictIndex, conflictTerm }`, 'see the contract in exercises/raft.ts');
    const e = c.expected;
    if (fields.includes('success') && d.success !== e.success) fail(c.rule, `${call} returned success: ${d.success}, expected ${e.success}`, c.why);
    if (fields.includes('log') && !sameLog(d.log, e.log)) fail(c.rule, `${call} left the log as ${formatLog(d.log)}${d.log.entries.some((x) => JSON.stringify(x.command).includes('L')) ? ' (L: entries from the leader)' : ''}, expected ${formatLog(e.log)}`, c.why);
    if (fields.includes('commitIndex') && d.commitIndex !== e.commitIndex) fail(c.rule, `${call} returned commitIndex ${d.commitIndex}, expected ${e.commitIndex}`, c.why);
    if (fields.includes('matchIndex') && d.matchIndex !== e.matchIndex) fail(c.rule, `${call} returned matchIndex ${d.matchIndex}, expected ${e.matchIndex}`, c.why);
    if (fields.includes('hint') && (d.conflictIndex !== e.conflictIndex || d.conflictTerm !== e.conflictTerm)) {
      fail(c.hintRule ?? c.rule, `${call} returned conflictIndex ${d.conflictIndex}, conflictTerm ${show(d.conflictTerm)}; expected ${e.conflictIndex}, ${show(e.conflictTerm)}`, c.why);
    }
  }
}

// The follower's logs used below (the terms of indexes 1, 2, ...).
const L111 = log([1, 1, 1]);

const appendConsistencyCases: AppendCase[] = [
  {
    rule: APPEND_CHECK,
    state: follower(1, log([]), 0),
    args: append(1, 0, 0, sent(1, [1, 1]), 0),
    expected: ok({ snapshotIndex: 0, snapshotTerm: 0, entries: sent(1, [1, 1]) }, 0, 2),
    why: 'prevLogIndex 0 is the empty prefix every log shares: it always matches',
  },
  {
    rule: APPEND_CHECK,
    state: follower(2, log([1, 1]), 0),
    args: append(2, 2, 1, sent(3, [2]), 0),
    expected: ok({ ...log([1, 1]), entries: [...log([1, 1]).entries, ...sent(3, [2])] }, 0, 3),
    why: 'the entry at prevLogIndex 2 has term 1 = prevLogTerm: the logs match up to it, append after it',
  },
  {
    rule: APPEND_CHECK,
    state: follower(2, log([1]), 0),
    args: append(2, 3, 1, sent(4, [2]), 0),
    expected: refused(log([1]), 0, 2, null),
    why: 'the log has no entry at prevLogIndex 3: refuse (the leader will back up)',
  },
  {
    rule: APPEND_CHECK,
    state: follower(3, L111, 0),
    args: append(3, 3, 2, sent(4, [3]), 0),
    expected: refused(L111, 0, 1, 1),
    why: 'not checking prevLogTerm: the entry at index 3 has term 1, not 2, so the logs differ there; appending after it glues two different logs together (Log Matching)',
  },
  {
    rule: APPEND_CHECK,
    state: follower(4, log([1, 2, 2, 2]), 0),
    args: append(4, 4, 3, [], 0),
    expected: refused(log([1, 2, 2, 2]), 0, 2, 2),
    why: 'not checking prevLogTerm, even on a heartbeat: the entry at index 4 has term 2, not 3',
  },
  {
    rule: APPEND_CHECK,
    state: follower(3, log([2, 3], { index: 5, term: 2 }), 5),
    args: append(3, 7, 2, [], 5),
    expected: refused(log([2, 3], { index: 5, term: 2 }), 5, 7, 3),
    why: 'not checking prevLogTerm: after a snapshot up to 5, index 7 is entries[1] (term 3), not entries[7]; use termAt(log, 7)',
  },
  {
    rule: APPEND_CHECK,
    state: follower(4, log([3, 3], { index: 5, term: 3 }), 5),
    args: append(4, 7, 4, [], 5),
    expected: refused(log([3, 3], { index: 5, term: 3 }), 5, 6, 3),
    why: 'the conflicting term 3 also covers the snapshot, but the hint never points at or below snapshotIndex 5 (see firstIndexOfTerm)',
  },
];

const appendTruncateCases: AppendCase[] = [
  {
    rule: APPEND_TRUNCATE,
    state: follower(1, L111, 0),
    args: append(1, 0, 0, sent(1, [1]), 0),
    expected: ok(L111, 0, 1),
    why: 'truncating on a stale AppendEntries: this old message carries entry 1, which the log already has (same term: the same entry). Nothing conflicts, so entries 2 and 3 stay. They may be committed',
  },
  {
    rule: APPEND_TRUNCATE,
    state: follower(1, L111, 0),
    args: append(1, 1, 1, sent(2, [1, 1]), 0),
    expected: ok(L111, 0, 3),
    why: 'a duplicated AppendEntries: every entry it carries is already in the log, so the log stays as it is',
  },
  {
    rule: APPEND_TRUNCATE,
    state: follower(1, L111, 0),
    args: append(1, 1, 1, [], 0),
    expected: ok(L111, 0, 1),
    why: 'a heartbeat (no entries) removes nothing: only a conflicting entry truncates the log',
  },
  {
    rule: APPEND_TRUNCATE,
    state: follower(2, L111, 0),
    args: append(2, 1, 1, sent(2, [2]), 0),
    expected: ok({ ...L111, entries: [L111.entries[0], ...sent(2, [2])] }, 0, 2),
    why: "entry 2 conflicts (term 1 in the log, 2 from the leader): delete it and all that follow it (entry 3 too), then append the leader's",
  },
  {
    rule: APPEND_TRUNCATE,
    state: follower(3, log([1, 1, 1, 1]), 0),
    args: append(3, 1, 1, sent(2, [1, 3]), 0),
    expected: ok({ ...log([1, 1, 1, 1]), entries: [...log([1, 1]).entries, ...sent(3, [3])] }, 0, 3),
    why: 'entry 2 matches (keep it), entry 3 conflicts: the log becomes 1:1 2:1 3:3 (entry 4 goes with entry 3)',
  },
  {
    rule: APPEND_TRUNCATE,
    state: follower(1, log([1, 1]), 0),
    args: append(1, 0, 0, sent(1, [1, 1, 1, 1]), 0),
    expected: ok({ ...log([1, 1]), entries: [...log([1, 1]).entries, ...sent(3, [1, 1])] }, 0, 4),
    why: 'entries 1 and 2 are already there; append the new ones, 3 and 4',
  },
];

const appendCommitCases: AppendCase[] = [
  {
    rule: APPEND_COMMIT,
    state: follower(1, log([]), 0),
    args: append(1, 0, 0, sent(1, [1, 1]), 5),
    expected: ok({ snapshotIndex: 0, snapshotTerm: 0, entries: sent(1, [1, 1]) }, 2, 2),
    why: 'leaderCommit 5 is past the last new entry (2): commitIndex = min(5, 2)',
  },
  {
    rule: APPEND_COMMIT,
    state: follower(2, L111, 0),
    args: append(2, 1, 1, [], 3),
    expected: ok(L111, 1, 1),
    why: "committing past the last new entry: this heartbeat vouches only for index 1 (prevLogIndex + 0). Entries 2 and 3 may be leftovers of term 1 that the leader's log does not have. commitIndex = min(leaderCommit, 1), not the end of the log",
  },
  {
    rule: APPEND_COMMIT,
    state: follower(1, log([1, 1]), 2),
    args: append(1, 2, 1, [], 1),
    expected: ok(log([1, 1]), 2, 2),
    why: 'a delayed message with a lower leaderCommit: commitIndex never goes down',
  },
  {
    rule: APPEND_COMMIT,
    state: follower(1, L111, 2),
    args: append(1, 1, 1, [], 3),
    expected: ok(L111, 2, 1),
    why: 'leaderCommit 3 is above commitIndex 2 but this heartbeat vouches only for index 1: min(3, 1) would lower commitIndex. Never lower it (what is committed stays committed)',
  },
  {
    rule: APPEND_COMMIT,
    state: follower(1, log([1]), 1),
    args: append(1, 2, 1, [], 2),
    expected: refused(log([1]), 1, 2, null),
    why: 'a failed AppendEntries changes nothing, commitIndex included',
  },
  {
    rule: APPEND_COMMIT,
    state: follower(1, L111, 0),
    args: append(1, 0, 0, sent(1, [1]), 3),
    expected: ok(L111, 1, 1),
    why: 'matchIndex and commitIndex count only what this message checked: prevLogIndex + entries.length = 1',
  },
];

const appendSnapshotCases: AppendCase[] = [
  {
    rule: APPEND_SNAPSHOT,
    state: follower(2, log([2], { index: 5, term: 2 }), 5),
    args: append(2, 3, 1, sent(4, [1, 2, 2, 2]), 7),
    expected: ok({ snapshotIndex: 5, snapshotTerm: 2, entries: [...log([2], { index: 5, term: 2 }).entries, ...sent(7, [2])] }, 7, 7),
    why: 'prevLogIndex 3 is inside the snapshot (up to 5): entries 4 and 5 are in it, entry 6 matches, entry 7 is new',
  },
  {
    rule: APPEND_SNAPSHOT,
    state: follower(2, log([], { index: 5, term: 2 }), 5),
    args: append(2, 2, 1, sent(3, [1]), 5),
    expected: ok(log([], { index: 5, term: 2 }), 5, 3),
    why: 'every entry of this late message is inside the snapshot: success, nothing changes, matchIndex = 2 + 1',
  },
  {
    rule: APPEND_SNAPSHOT,
    state: follower(3, log([2, 2], { index: 5, term: 2 }), 5),
    args: append(3, 5, 2, sent(6, [3]), 5),
    expected: ok({ snapshotIndex: 5, snapshotTerm: 2, entries: sent(6, [3]) }, 5, 6),
    why: "prevLogIndex = snapshotIndex: its term is snapshotTerm (2), which matches; entry 6 conflicts and is replaced",
  },
];

// ---------------------------------------------------------------------------------------------
// The commit rule
// ---------------------------------------------------------------------------------------------

interface CommitCase {
  rule: string;
  input: CommitInput;
  expected: number;
  why: string;
}

// Index:term 1:1 2:1 3:2 4:3 5:3, as in Figure 8 (c) to (e): terms 1 and 2 are earlier terms.
const F8 = log([1, 1, 2, 3, 3]);
const commitInput = (currentTerm: number, commitIndex: number, matchIndex: number[], l: RaftLog = F8): CommitInput => ({ currentTerm, commitIndex, matchIndex, log: l });

const commitCases: CommitCase[] = [
  { rule: COMMIT_MAJORITY, input: commitInput(3, 0, [5, 5, 0]), expected: 5, why: 'index 5 (term 3, the current term) is on 2 of 3 servers: commit it and everything before it' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 0, [5, 4, 1]), expected: 4, why: 'the highest index on a majority (2 of 3) is 4, of the current term' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 0, [5, 5, 4, 1, 0]), expected: 4, why: 'five servers: index 4 is on 3 of them (5, 5, 4), index 5 on only 2' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 0, [5, 5, 4, 1]), expected: 4, why: 'four servers: a majority is 3, not 2; index 5 is on only 2 of 4, index 4 on 3' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 4, [5, 1, 1]), expected: 4, why: 'no index past 4 is on a majority: return commitIndex (never lower it)' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 0, [5]), expected: 5, why: 'a one-server cluster: the leader alone is a majority' },
  { rule: COMMIT_MAJORITY, input: commitInput(3, 3, [5, 4, 2], log([3, 3], { index: 3, term: 2 })), expected: 4, why: 'after a snapshot up to 3: index 4 is of term 3 and on 2 of 3 servers (use termAt)' },
  {
    rule: COMMIT_TERM,
    input: commitInput(3, 0, [5, 3, 3]),
    expected: 0,
    why: 'committing earlier-term entries by counting replicas (Figure 8): index 3 is on a majority but has term 2, and a server whose last term is higher can still win an election and overwrite it. Only an entry of the current term commits by counting',
  },
  { rule: COMMIT_TERM, input: commitInput(3, 0, [2, 2, 2]), expected: 0, why: 'committing earlier-term entries by counting replicas: index 2 (term 1) is on every server, yet only a current-term entry commits by counting' },
  { rule: COMMIT_TERM, input: commitInput(4, 2, [5, 5, 5]), expected: 2, why: 'committing earlier-term entries by counting replicas: the leader of term 4 has no entry of term 4 yet, so it commits nothing new' },
];

function checkCommits(cases: CommitCase[]): void {
  const { advanceCommitIndex } = rules();
  for (const c of cases) {
    const { currentTerm, commitIndex, matchIndex, log: l } = c.input;
    const call = `advanceCommitIndex({ currentTerm: ${currentTerm}, commitIndex: ${commitIndex}, matchIndex: [${matchIndex.join(', ')}], log ${formatLog(l)} })`;
    const got = callRule('advanceCommitIndex', call, () => advanceCommitIndex(frozenCopy(c.input)));
    if (typeof got !== 'number' || !Number.isInteger(got)) fail(c.rule, `${call} returned ${show(got)}; it must return an index (an integer)`, 'return the new commit index, or commitIndex when nothing more can be committed');
    if (got !== c.expected) fail(c.rule, `${call} returned ${got}, expected ${c.expected}`, c.why);
  }
}

// ---------------------------------------------------------------------------------------------
// The lab tests, with the learner's rules plugged in
// ---------------------------------------------------------------------------------------------

const PROPERTY = /^(Election Safety|Leader Append-Only|Log Matching|Leader Completeness|State Machine Safety) broken/;

/** What a lab test's failure message says broke, as an invariant name, with a hint for that property. */
function classify(message: string): { invariant: string; hint?: string } {
  const property = PROPERTY.exec(message)?.[1];
  const hints: Record<string, string> = {
    'Election Safety': 'two leaders in one term: a server must grant at most one vote per term (votedFor) and ask to persist it (persist: true) before replying (§5.2)',
    'Leader Append-Only': 'a leader lost entries of its own log: a leader never runs handleAppendEntries; look at what your rules return to it',
    'Log Matching': 'two logs hold the same index and term but differ before it: handleAppendEntries must refuse unless the entry at prevLogIndex has term prevLogTerm (§5.3)',
    'Leader Completeness': 'a committed entry is missing from a later leader: the up-to-date check in handleRequestVote (§5.4.1), or advanceCommitIndex counting replicas of an earlier term (§5.4.2), or handleAppendEntries deleting entries that did not conflict',
    'State Machine Safety': 'two servers applied different entries at one index, so a committed entry was overwritten. A candidate without it won (the up-to-date check, §5.4.1), an earlier term\'s entry was committed by counting (§5.4.2), a follower deleted entries that did not conflict, or commitIndex ran past the entries a follower shares with the leader (AppendEntries rule 5)',
  };
  if (property) return { invariant: property, hint: hints[property] };
  if (/\(>1\) leaders/.test(message)) return { invariant: 'Election Safety', hint: hints['Election Safety'] };
  if (/committed values do not match|^commit index=\d+ server=|state machines differ/.test(message)) return { invariant: 'State Machine Safety', hint: hints['State Machine Safety'] };
  if (/apply out of order/.test(message)) return { invariant: 'apply in log order' };
  if (/no majority|without a majority/.test(message)) return { invariant: 'commit needs a majority', hint: 'advanceCommitIndex must find N on MORE than half of matchIndex (the leader included)' };
  if (/too many (or few )?RPC/.test(message)) return { invariant: 'message budget' };
  if (/backed up slowly/.test(message)) return { invariant: 'fast back-up (§5.3)', hint: 'on a refusal, return conflictTerm (the term at prevLogIndex) and conflictIndex (its first index), or lastLogIndex + 1 when the log is too short: the leader then skips a whole term at a time' };
  if (/not linearizable/.test(message)) return { invariant: 'linearizability' };
  if (/log holds \d+ entries/.test(message)) return { invariant: 'log compaction (§7)' };
  if (/expected one leader, got none/.test(message)) return { invariant: 'liveness: a leader is elected' };
  if (/failed to reach agreement|only \d+ decided|did not complete|term changed too often|only \d+ operations completed/.test(message)) return { invariant: 'liveness: entries commit' };
  return { invariant: 'lab check' };
}

/**
 * The harness ends its messages with "(test name, seed S, at T ms; replay ...)": the grader
 * prints the seed, the time and its own replay command, so the suffix goes and T becomes timeMs.
 */
function splitWhere(message: string, testName: string, seed: number): { message: string; timeMs?: number } {
  const at = message.indexOf(` (${testName}, seed ${seed}`);
  if (at < 0) return { message };
  const eol = message.indexOf('\n', at);
  const suffix = message.slice(at, eol < 0 ? undefined : eol);
  const rest = message.slice(0, at) + (eol < 0 ? '' : message.slice(eol));
  const time = /, at (\d+(?:\.\d+)?) ms;/.exec(suffix);
  if (time) return { message: rest, timeMs: Number(time[1]) };
  // A checker's message names the times of the events it relates: the last one is when it broke.
  const times = [...rest.split('\n')[0].matchAll(/at (\d+(?:\.\d+)?) ms/g)].map((m) => Number(m[1]));
  return { message: rest, timeMs: times.length > 0 ? Math.max(...times) : undefined };
}

/** "A. B": an invariant's hint, then the test's, as sentences. */
function joinHints(first: string | undefined, second: string): string {
  const capital = second.charAt(0).toUpperCase() + second.slice(1);
  return first ? `${first}. ${capital}` : capital;
}

interface LabSpec {
  /** The lab test's name in raftLabTests (also the graded test's name). */
  name: string;
  points: number;
  /** How many seeds (1..seeds) the test sweeps. */
  seeds: number;
  /** The lab test's scale (iteration counts; see RaftLabOptions). */
  scale?: number;
  hidden?: boolean;
  timeoutMs?: number;
  /** What the test does, in the words of 6.824 where it comes from there. */
  description: string;
  /** Where to look when it fails and no safety property names the cause. */
  hint: string;
}

function labTest(spec: LabSpec): GradedTest {
  const test = raftLabTests.find((t) => t.name === spec.name);
  if (!test) throw new Error(`raft.graded.ts: no lab test named "${spec.name}" in lib/protocols/raft/lab-tests.ts`);
  const scale = spec.scale !== undefined && spec.scale !== 1 ? `, scale ${spec.scale}` : '';
  return {
    name: spec.name,
    points: spec.points,
    hidden: spec.hidden,
    timeoutMs: spec.timeoutMs,
    description: `${spec.description} (${test.cites}; ${spec.seeds} seed${spec.seeds === 1 ? '' : 's'}${scale})`,
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(spec.seeds)) {
        try {
          test.run({ seed, rules: learner, scale: spec.scale });
        } catch (error) {
          if (!(error instanceof RaftHarnessError)) throw error; // a stub, a crash in the learner's code: the grader reports it
          const { message, timeMs } = splitWhere(error.message, test.name, seed);
          const { invariant, hint } = classify(message);
          fail(invariant, message, joinHints(hint, spec.hint), { seed, timeMs });
        }
      }
    },
  };
}

const VOTE_HINT = 'elections: handleRequestVote must grant to an up-to-date candidate when votedFor is null or that candidate, and refuse otherwise (§5.2, §5.4.1)';
const AGREE_HINT = 'agreement: handleAppendEntries appends after a matching prevLogIndex/prevLogTerm and reports matchIndex; advanceCommitIndex commits what a majority has, of the current term';
const CATCH_UP_HINT = 'catching up: a follower that refuses must say where its log diverges (conflictIndex, conflictTerm) so that the leader backs up, then accept and replace the conflicting entries';
const PERSIST_HINT = 'after a crash a server has only what was persisted: a vote must be persisted when it changes (persist: true), and your log must be the one the rule returned (do not change its input)';
const SNAPSHOT_HINT = 'snapshots: AppendEntries with prevLogIndex below log.snapshotIndex must skip the entries inside the snapshot; termAt / lastLogIndex account for the offset (§7)';
const KV_HINT = 'an acknowledged write was lost or applied in another order: some committed entry was overwritten (commit rule §5.4.2, up-to-date check §5.4.1, truncation only on conflict)';

const labSpecs: LabSpec[] = [
  // 2A: leader election (§5.2)
  { name: 'initial election', points: 2, seeds: 10, description: '6.824 2A: three servers elect one leader, all agree on its term, and the term stays the same for 2 s when nothing fails', hint: VOTE_HINT },
  { name: 're-election', points: 2, seeds: 10, description: "6.824 2A: the leader is cut off and a new one is elected; its return does not disturb the new leader; without a quorum there is no leader, and with one again there is", hint: VOTE_HINT },
  { name: 'many elections', points: 3, seeds: 10, description: '6.824 2A: seven servers, three cut off at random ten times: each time exactly one leader per term among the rest', hint: VOTE_HINT },
  // 2B: log replication (§5.3, §5.4)
  { name: 'basic agreement', points: 2, seeds: 10, description: '6.824 2B: five servers agree on three commands, at indexes 1, 2, 3', hint: AGREE_HINT },
  { name: 'RPC byte count', points: 1, seeds: 5, description: "6.824 2B: ten 5000-byte commands cost at most one copy per server (+ 50 kB): entries are not resent needlessly", hint: 'the leader resends what a follower did not acknowledge: matchIndex in a successful reply must be prevLogIndex + entries.length' },
  { name: 'progressive failure of followers', points: 2, seeds: 10, description: '6.824 2B: with one follower cut off the other two commit; with both cut off the leader commits nothing', hint: AGREE_HINT },
  { name: 'failure of leaders', points: 2, seeds: 10, description: '6.824 2B: leaders are cut off one after another; a lone server commits nothing', hint: AGREE_HINT },
  { name: 'agreement despite follower disconnection', points: 2, seeds: 10, description: '6.824 2B: a follower misses four commands while cut off, then catches up', hint: CATCH_UP_HINT },
  { name: 'no agreement if too many followers disconnect', points: 2, seeds: 10, description: '6.824 2B: three of five followers cut off: the entry is not committed; after healing, agreement resumes', hint: AGREE_HINT },
  { name: 'concurrent Start()s', points: 2, seeds: 10, description: '6.824 2B: five commands started at once all commit, each at its own index', hint: AGREE_HINT },
  { name: 'rejoin of partitioned leader', points: 3, seeds: 10, description: '6.824 2B: an old leader with uncommitted entries rejoins; its conflicting entries are replaced', hint: `${CATCH_UP_HINT}; and a stale log must not win an election (§5.4.1)` },
  { name: 'leader backs up quickly over incorrect follower logs', points: 3, seeds: 8, description: '6.824 2B: 50 uncommitted entries on each side of partitions; logs are repaired quickly: at most 30 refusals for log conflicts in all (the conflict hint)', hint: CATCH_UP_HINT },
  { name: "RPC counts aren't too high", points: 2, seeds: 10, description: '6.824 2B: at most 30 RPCs to elect the first leader, (11 + 3) * 3 for eleven commands, 60 per idle second', hint: 'split votes or refused votes cost elections; a wrong matchIndex or conflict hint costs resends' },
  // 2C: persistence (Figure 2)
  { name: 'basic persistence', points: 2, seeds: 10, description: '6.824 2C: all servers, then leaders and followers, crash and restart between commands', hint: PERSIST_HINT },
  { name: 'more persistence', points: 2, seeds: 10, description: '6.824 2C: five rounds of crashing most of five servers and restarting them in an order that needs persisted logs and votes', hint: PERSIST_HINT },
  { name: 'partitioned leader and one follower crash, leader restarts', points: 2, seeds: 10, description: '6.824 2C: the leader and a follower crash; the cut-off follower and the restarted leader must elect the right one', hint: `${PERSIST_HINT}; the up-to-date check picks the server that has the committed entries (§5.4.1)` },
  { name: 'Figure 8', points: 3, seeds: 10, scale: 10, description: "6.824 2C: 1000 rounds of starting a command and crashing the leader at once, restarting servers at random (§5.4.2's scenario)", hint: 'advanceCommitIndex may count replicas only for an entry of the current term (§5.4.2, Figure 8)' },
  { name: 'Figure 8 (unreliable)', points: 3, seeds: 6, scale: 3.34, hidden: true, description: '6.824 2C: Figure 8 on an unreliable network with long reordering, 1000 rounds, leaders cut off instead of crashed', hint: 'advanceCommitIndex counts only current-term entries; handleAppendEntries must survive delayed and duplicated messages (truncate only on conflict, never lower commitIndex)' },
  { name: 'unreliable agreement', points: 2, seeds: 10, scale: 1.7, description: '6.824 2C: 49 rounds of concurrent commands on a network that loses, delays, duplicates and reorders', hint: 'a delayed or duplicated AppendEntries must not truncate the log or lower commitIndex (Figure 2 rules 3 and 5)' },
  { name: 'churn', points: 3, seeds: 2, description: '6.824 2C: three clients start commands while servers are cut off, crashed and restarted at random for 14 s; every command a client saw committed is in the final logs', hint: `${PERSIST_HINT}; ${CATCH_UP_HINT}` },
  { name: 'unreliable churn', points: 3, seeds: 8, hidden: true, description: '6.824 2C: churn on an unreliable network', hint: `${PERSIST_HINT}; ${CATCH_UP_HINT}` },
  // 2D: snapshots (§7)
  { name: 'snapshots basic', points: 2, seeds: 10, description: '6.824 2D: 60 commands with a snapshot every 10; logs stay short and state machines agree', hint: SNAPSHOT_HINT },
  { name: 'install snapshots (disconnect)', points: 2, seeds: 8, scale: 2.5, description: '6.824 2D: 30 rounds of cutting off a server (every third the leader) while the others snapshot past it; it catches up by InstallSnapshot', hint: SNAPSHOT_HINT },
  { name: 'install snapshots (disconnect + unreliable)', points: 2, seeds: 8, scale: 2.5, description: '6.824 2D: the same on an unreliable network', hint: SNAPSHOT_HINT },
  { name: 'install snapshots (crash)', points: 2, seeds: 8, scale: 2.5, description: '6.824 2D: 30 rounds of crashing a server (every third the leader) while the others snapshot past it', hint: `${SNAPSHOT_HINT}; ${PERSIST_HINT}` },
  { name: 'install snapshots (unreliable + crash)', points: 2, seeds: 8, scale: 2.5, hidden: true, description: '6.824 2D: crashes and snapshots on an unreliable network', hint: `${SNAPSHOT_HINT}; ${PERSIST_HINT}` },
  { name: 'crash and restart all servers (with snapshots)', points: 2, seeds: 10, description: '6.824 2D: every server crashes and restarts after a few snapshots, five times; indexes never go back', hint: `${SNAPSHOT_HINT}; ${PERSIST_HINT}` },
  { name: 'snapshot initialization after crash', points: 1, seeds: 10, description: '6.824 2D: everyone crashes right after a snapshot, twice; each restart comes back from snapshot and log', hint: `${SNAPSHOT_HINT}; ${PERSIST_HINT}` },
  // The key-value service (dissertation §6)
  { name: 'key-value: linearizable under partitions', points: 3, seeds: 10, description: 'Three key-value clients against five servers partitioned at random, 5% loss: the history is linearizable (Knossos-style check) and Figure 3 holds', hint: KV_HINT },
  { name: 'key-value: linearizable under crashes', points: 3, seeds: 10, description: 'The same with up to two of five servers crashed at a time', hint: KV_HINT },
  { name: 'key-value: linearizable under partitions and crashes, with snapshots', points: 3, seeds: 10, hidden: true, description: 'Partitions, crashes and a snapshot every 20 entries', hint: `${KV_HINT}; ${SNAPSHOT_HINT}` },
  // Scripted interleavings (lib/protocols/raft/scenarios.ts)
  { name: 'Figure 8 (scripted)', points: 2, seeds: 3, description: "Figure 8 (a)-(d) step by step: the leader of term 3 gets term 2's entry onto a majority; it must not commit it, since the leader of term 4 overwrites it", hint: 'committing earlier-term entries by counting replicas: advanceCommitIndex commits only entries of the current term (§5.4.2)' },
  { name: 'a vote survives a crash (scripted)', points: 2, seeds: 3, description: 'A voter crashes right after granting its vote and restarts; a second candidate of the same term asks it', hint: 'not persisting votedFor before replying: return persist: true whenever votedFor changes (Figure 2, persistent state)' },
  { name: 'a stale AppendEntries does not truncate (scripted)', points: 2, seeds: 3, description: 'A delayed AppendEntries arrives after later entries were acknowledged and committed; it must not delete them', hint: 'truncating on a stale AppendEntries: delete entries only at a real conflict (Figure 2, AppendEntries rule 3)' },
];

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export default gradedSuite('raft', [
  {
    name: 'RequestVote refuses a stale term',
    points: 1,
    description: 'handleRequestVote: a candidate whose term is below currentTerm gets no vote (Figure 2, RequestVote rule 1).',
    run() {
      checkVotes([
        { rule: VOTE_STALE, state: voter(3, null, 2, 1), args: request(2, 'n2', 5, 2), grant: false, why: 'the candidate is of term 2, the voter of term 3: a vote counts only in its own term, and this candidate is stale' },
        { rule: VOTE_STALE, state: voter(5, 'n3', 0, 0), args: request(4, 'n3', 1, 4), grant: false, why: 'a candidate of an older term gets no vote, even one voted for before' },
      ]);
    },
  },
  {
    name: 'RequestVote grants at most one vote per term',
    points: 3,
    description: 'handleRequestVote: grant when votedFor is null or the same candidate; refuse a second candidate of the same term (§5.2, Election Safety).',
    run() {
      checkVotes([
        { rule: VOTE_ONCE, state: voter(2, null, 3, 2), args: request(2, 'n2', 3, 2), grant: true, why: 'no vote cast yet in term 2 and the logs are equal: grant' },
        { rule: VOTE_ONCE, state: voter(2, 'n2', 3, 2), args: request(2, 'n2', 3, 2), grant: true, why: 'already voted for n2 in this term: grant again (its first reply may have been lost)' },
        { rule: VOTE_ONCE, state: voter(2, 'n3', 3, 2), args: request(2, 'n2', 4, 2), grant: false, why: 'granting two votes in a term: this server voted for n3 in term 2, so n2 and n3 could both collect a majority and lead term 2' },
        { rule: VOTE_ONCE, state: voter(4, 'n1', 0, 0), args: request(4, 'n2', 1, 3), grant: false, why: 'granting two votes in a term: a candidate voted for itself (votedFor n1) and must not vote for n2 in the same term' },
      ]);
    },
  },
  {
    name: 'RequestVote grants only to an up-to-date log',
    points: 3,
    description: "handleRequestVote: compare the last entries' terms first, then the lengths (§5.4.1).",
    run() {
      checkVotes([
        { rule: VOTE_UP_TO_DATE, state: voter(3, null, 5, 2), args: request(3, 'n2', 4, 2), grant: false, why: "skipping the up-to-date check: the candidate's log is shorter (4 < 5) with the same last term, so it may lack entry 5, which may be committed" },
        { rule: VOTE_UP_TO_DATE, state: voter(4, null, 5, 3), args: request(4, 'n2', 9, 2), grant: false, why: 'comparing lengths before terms: the voter\'s last term (3) is higher, so its log is more up-to-date whatever the lengths' },
        { rule: VOTE_UP_TO_DATE, state: voter(4, null, 5, 2), args: request(4, 'n2', 2, 3), grant: true, why: 'a higher last term (3 > 2) is more up-to-date, even with a shorter log' },
        { rule: VOTE_UP_TO_DATE, state: voter(3, null, 5, 2), args: request(3, 'n2', 5, 2), grant: true, why: 'equal last terms and equal lengths: at least as up-to-date, grant' },
        { rule: VOTE_UP_TO_DATE, state: voter(3, null, 3, 2), args: request(3, 'n2', 6, 2), grant: true, why: 'the same last term and a longer log: grant' },
        { rule: VOTE_UP_TO_DATE, state: voter(1, null, 0, 0), args: request(1, 'n2', 0, 0), grant: true, why: 'two empty logs: grant' },
      ]);
    },
  },
  {
    name: 'RequestVote asks to persist votedFor before replying',
    points: 2,
    description: 'handleRequestVote: a granted vote that changes votedFor returns persist: true, so the server writes it before the reply leaves (Figure 2).',
    run() {
      checkVotes(
        [
          { rule: VOTE_PERSIST, state: voter(2, null, 3, 2), args: request(2, 'n2', 3, 2), grant: true, why: 'grant' },
          { rule: VOTE_PERSIST, state: voter(7, null, 0, 0), args: request(7, 'n3', 4, 6), grant: true, why: 'grant' },
        ],
        true,
      );
    },
  },
  {
    name: 'AppendEntries rejects a stale term',
    points: 1,
    description: 'handleAppendEntries: a leader of an older term gets success: false, and nothing changes (Figure 2, AppendEntries rule 1).',
    run() {
      checkAppends(
        [
          { rule: APPEND_STALE, state: follower(3, log([1, 2]), 1), args: append(2, 2, 2, sent(3, [2]), 2), expected: refused(log([1, 2]), 1, 0, null), why: 'the message is from a leader of term 2; this follower is in term 3: refuse, change nothing (conflictIndex 0, conflictTerm null)' },
        ],
        ['success', 'log', 'commitIndex', 'matchIndex', 'hint'],
      );
    },
  },
  {
    name: 'AppendEntries checks prevLogIndex and prevLogTerm',
    points: 3,
    description: 'handleAppendEntries: succeed only when the log has an entry at prevLogIndex with term prevLogTerm; then append; otherwise change nothing (§5.3, Log Matching).',
    run() {
      checkAppends(appendConsistencyCases, ['success', 'log', 'commitIndex']);
    },
  },
  {
    name: 'AppendEntries returns the conflict hint',
    points: 2,
    description: 'handleAppendEntries: on a short log conflictIndex = lastLogIndex + 1; on a term mismatch conflictTerm = that term and conflictIndex = its first index (§5.3, the fast back-up).',
    run() {
      checkAppends(
        appendConsistencyCases.map((c) => ({ ...c, hintRule: APPEND_HINT, why: c.expected.success ? c.why : `${c.why}; the hint: ${c.expected.conflictTerm === null ? 'no entry there, so conflictIndex = lastLogIndex + 1 and conflictTerm null' : `conflictTerm = ${c.expected.conflictTerm}, the term found there, and conflictIndex = ${c.expected.conflictIndex}, the first index of that term after the snapshot`}` })),
        ['success', 'hint', 'matchIndex'],
      );
    },
  },
  {
    name: 'AppendEntries deletes only conflicting entries',
    points: 3,
    description: 'handleAppendEntries: keep entries that match, truncate at the first conflict, append what is new; a stale or duplicated message removes nothing (Figure 2, rules 3 and 4).',
    run() {
      checkAppends(appendTruncateCases, ['success', 'log', 'matchIndex']);
    },
  },
  {
    name: 'AppendEntries advances commitIndex to the last new entry at most',
    points: 2,
    description: 'handleAppendEntries: commitIndex = min(leaderCommit, prevLogIndex + entries.length) when leaderCommit is higher; never lower; matchIndex = prevLogIndex + entries.length (Figure 2, rule 5).',
    run() {
      checkAppends(appendCommitCases, ['success', 'commitIndex', 'matchIndex']);
    },
  },
  {
    name: 'AppendEntries skips entries inside the snapshot',
    points: 1,
    description: 'handleAppendEntries: when prevLogIndex is below log.snapshotIndex, the entries inside the snapshot are committed and match; skip them (§7).',
    run() {
      checkAppends(appendSnapshotCases, ['success', 'log', 'commitIndex', 'matchIndex']);
    },
  },
  {
    name: 'the commit rule: a majority, of the current term',
    points: 3,
    description: 'advanceCommitIndex: the largest N > commitIndex on a strict majority of matchIndex with an entry of the current term at N; else commitIndex (§5.3, §5.4.2, Figure 8).',
    run() {
      checkCommits(commitCases);
    },
  },
  ...labSpecs.map(labTest),
]);
