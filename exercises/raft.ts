/**
 * Exercise: the three Raft rules where the safety argument lives (Ongaro & Ousterhout, "In
 * Search of an Understandable Consensus Algorithm (Extended Version)", 2014, Figure 2):
 * granting a vote, the AppendEntries receiver, and the leader's commit rule.
 *
 * Write the three functions below. Each is a pure function of what one server knows. The
 * graded tests first check each contract on its own, case by case, and name the rule a wrong
 * answer breaks. Then they plug your three functions into the real Raft servers
 * (lib/protocols/raft/node.ts) and run the MIT 6.824 lab's tests in simulated time: elections
 * with servers cut off at random, agreement with followers and leaders failing, crashes and
 * restarts, Figure 8, churn, snapshots, and a key-value store checked for linearizability under
 * partitions and crashes. Every run is deterministic by seed: a failure prints the seed and the
 * command that replays it.
 *
 * The server does everything else. In particular it applies the "All Servers" term rule of
 * Figure 2 before calling you: when a message carries a higher term, the server has already
 * adopted that term, cleared votedFor and become a follower. So your rules only ever see
 * `args.term <= currentTerm`. It also persists what you return (before it replies), sends the
 * replies, and keeps the leader's nextIndex and matchIndex.
 *
 * Read first: the contracts in lib/protocols/raft/rules.ts (the same as below, with types),
 * and the log helpers in lib/protocols/raft/log.ts. Log indexes start at 1. Index 0, with
 * term 0, is the empty prefix every log shares. A log may start with a snapshot (§7): entries
 * 1..snapshotIndex are gone, and `log.entries[0]` is index snapshotIndex + 1. Use `termAt(log,
 * i)` and `lastLogIndex(log)` rather than indexing `log.entries` yourself. Grade your work with:
 *
 *     npm run grade -- raft
 *
 * Terms are 任期, the log is 日志, the leader is 领导者, a vote is 投票, committed is 已提交.
 */
import { NotImplemented } from '../lib/grade';
import {
  firstIndexOfTerm,
  lastLogIndex,
  termAt,
  truncateFrom,
  type AppendDecision,
  type AppendEntriesArgs,
  type CommitInput,
  type FollowerState,
  type RequestVoteArgs,
  type VoteDecision,
  type VoterState,
} from '../lib/protocols/raft';

// Referenced so that your editor offers them; use them in your answers.
void firstIndexOfTerm;
void lastLogIndex;
void termAt;
void truncateFrom;

// ---------------------------------------------------------------------------------------------
// Part 1: granting a vote (Figure 2, "RequestVote RPC, Receiver implementation"; §5.2, §5.4.1)
// ---------------------------------------------------------------------------------------------

/**
 * A candidate asks this server for its vote. `state` is what the voter knows: its currentTerm,
 * whom it voted for in that term (votedFor, or null), and the index and term of its last log
 * entry. `args` is the request: term, candidateId, and the candidate's lastLogIndex and
 * lastLogTerm.
 *
 * Return `{ voteGranted, votedFor, persist }`:
 * 1. `args.term < state.currentTerm`: refuse. The candidate is from an old term; its reply
 *    would be ignored anyway, and a vote is only good for the term it is cast in.
 * 2. Grant only if `state.votedFor` is null or already `args.candidateId`. One vote per term
 *    is what makes two leaders in one term impossible. Each needs votes from a majority, and two
 *    majorities share a server, which would have had to vote twice (§5.2, Election Safety).
 *    Voting again for the same candidate is fine: its first reply may have been lost.
 * 3. ...and only if the candidate's log is at least as up-to-date as the voter's (§5.4.1).
 *    Compare the last entries' terms first: a higher last term is more up-to-date, whatever
 *    the lengths. With equal last terms, the longer log (higher lastLogIndex) is, and equal
 *    lengths count as up-to-date. Why: a committed entry is on a majority, and the winner needs
 *    a majority's votes. So some voter holds every committed entry, and that voter refuses a
 *    candidate whose log lacks it. That is how every new leader already has every committed
 *    entry (Leader Completeness). Comparing lengths alone is wrong: a long log of stale terms
 *    can lack an entry committed in a later term.
 * - Granting: `{ voteGranted: true, votedFor: args.candidateId, persist: <votedFor changed> }`.
 *   Refusing: `{ voteGranted: false, votedFor: state.votedFor, persist: false }`.
 * - `persist: true` makes the server write votedFor to stable storage before the reply leaves
 *   (Figure 2, "Persistent state ... updated on stable storage before responding to RPCs"). If
 *   it did not, a voter could crash right after voting, restart having forgotten, and vote for
 *   a second candidate in the same term: two leaders again. The graded tests crash voters
 *   right after they vote.
 * - Do not change `state` or `args`.
 *
 * @example
 *   handleRequestVote({ currentTerm: 2, votedFor: null, lastLogIndex: 3, lastLogTerm: 2 },
 *     { term: 2, candidateId: 'n2', lastLogIndex: 3, lastLogTerm: 2 });
 *   // { voteGranted: true, votedFor: 'n2', persist: true }
 */
export function handleRequestVote(state: VoterState, args: RequestVoteArgs): VoteDecision {
  // TODO: refuse a stale term; refuse if already voted for someone else; refuse a candidate
  // whose log is less up-to-date (last term first, then length); otherwise grant and persist.
  throw new NotImplemented('handleRequestVote(state, args) in exercises/raft.ts: grant at most one vote per term, only to an up-to-date candidate (Figure 2, §5.4.1)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: the AppendEntries receiver (Figure 2, "AppendEntries RPC, Receiver implementation"; §5.3)
// ---------------------------------------------------------------------------------------------

/**
 * The leader sends `args`: its term, prevLogIndex and prevLogTerm (the entry just before the
 * new ones), the new `entries` (none for a heartbeat), and leaderCommit (its commit index).
 * `state` is this follower's currentTerm, log and commitIndex. Return an AppendDecision
 * `{ success, log, commitIndex, matchIndex, conflictIndex, conflictTerm }`, in this order:
 *
 * 1. `args.term < state.currentTerm`: fail (conflictIndex 0, conflictTerm null), log
 *    unchanged. A deposed leader must learn it is stale (the reply carries the newer term).
 * 2. Entries at or below `log.snapshotIndex` are in the snapshot, so they are committed and
 *    match the leader's. If `args.prevLogIndex < log.snapshotIndex`, drop the entries that fall
 *    inside the snapshot and go on as if prevLogIndex were snapshotIndex (§7).
 * 3. The consistency check (§5.3). The follower must hold an entry at prevLogIndex with term
 *    prevLogTerm. By the Log Matching Property, that means its log up to prevLogIndex equals the
 *    leader's, so appending after it keeps the logs identical. Checking only that an entry
 *    exists there is not enough: logs that differ would be glued together.
 *    - No entry at prevLogIndex (the log is shorter): fail with
 *      `conflictIndex = lastLogIndex(log) + 1`, `conflictTerm = null`.
 *    - An entry of another term there: fail with `conflictTerm` = that entry's term and
 *      `conflictIndex` = the first index of the log holding that term (firstIndexOfTerm). This
 *      hint lets the leader skip a whole conflicting term in one round trip instead of one
 *      entry at a time (§5.3, last paragraphs; the "fast back-up" of 6.824). The graded tests
 *      repair 50 conflicting entries.
 *    On failure the log and commitIndex are unchanged and matchIndex is 0.
 * 4. For each new entry, at index prevLogIndex + 1 + k: if the log has an entry there with a
 *    different term, delete it and everything after it, then append the rest (Figure 2, rule
 *    3). If it has the same term, it is the same entry (Log Matching): keep it and look at the
 *    next one. Only a real conflict truncates. A delayed or duplicated AppendEntries whose
 *    entries all match must leave the log as it is, with no entries removed after them. Those
 *    later entries may be on a majority and committed; deleting them on a stale message loses
 *    them.
 * 5. If `args.leaderCommit > state.commitIndex`: commitIndex = min(leaderCommit, prevLogIndex +
 *    entries.length), "the index of the last new entry" (Figure 2, rule 5). Not the end of the
 *    log: entries past the ones this message vouched for may be leftovers of an old term that
 *    the leader does not have. Never lower commitIndex.
 * 6. Success: `matchIndex = prevLogIndex + entries.length`, with the prevLogIndex of `args`
 *    (before step 2's adjustment). This is what the leader records as replicated on this
 *    follower. It must not count anything this message did not check. conflictIndex 0,
 *    conflictTerm null.
 * - Do not change `state`, its log, or `args`: build a new log object when the log changes
 *   (`{ ...log, entries: [...] }`, or truncateFrom(log, index)), and return `state.log` itself
 *   when it does not. Keep the log's snapshotIndex and snapshotTerm.
 *
 * @example
 *   const e = { term: 1, command: { type: 'noop' } } as const;
 *   handleAppendEntries({ currentTerm: 1, log: emptyLog(), commitIndex: 0 },
 *     { term: 1, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, entries: [e], leaderCommit: 1 });
 *   // { success: true, log: { snapshotIndex: 0, snapshotTerm: 0, entries: [e] }, commitIndex: 1,
 *   //   matchIndex: 1, conflictIndex: 0, conflictTerm: null }
 */
export function handleAppendEntries(state: FollowerState, args: AppendEntriesArgs): AppendDecision {
  // TODO: steps 1-6 above: stale term; snapshot prefix; consistency check with the conflict
  // hint; append, truncating only at a real conflict; commitIndex; matchIndex.
  throw new NotImplemented('handleAppendEntries(state, args) in exercises/raft.ts: the consistency check, truncate only on a conflict, commitIndex from leaderCommit (Figure 2, §5.3)');
}

// ---------------------------------------------------------------------------------------------
// Part 3: the leader's commit rule (Figure 2, "Rules for Servers, Leaders", last bullet; §5.4.2)
// ---------------------------------------------------------------------------------------------

/**
 * The leader calls this whenever a follower acknowledges entries. `input.matchIndex` has one
 * number per voting server of the configuration, the leader's own (its last log index)
 * included: the highest index known to be on that server. Return the new commit index: the
 * largest N > commitIndex such that more than half of the matchIndex values are >= N AND
 * `termAt(log, N) === currentTerm`. If there is no such N, return commitIndex unchanged.
 *
 * Why a strict majority: any later leader needs votes from a majority, which shares a server
 * with this one, and that server refuses a candidate lacking the entry (§5.4.1). So a committed
 * entry stays in every future leader's log.
 *
 * Why the current term only (§5.4.2, Figure 8): an entry of an earlier term can be on a
 * majority and still be overwritten by a future leader. The paper's Figure 8 shows how: a
 * server whose last entry has a higher term can win without it. Once an entry of the current
 * term is on a majority, no server lacking it can win, and the earlier entries before it are
 * committed with it (Log Matching). So count replicas only for entries of your own term.
 * This is why a new leader commits its earlier-term entries indirectly, through its first
 * entry (the harness's servers do not add a no-op, so that happens with the next command).
 *
 * Do not change `input`. Terms only grow along a log, so scanning down from the highest
 * majority index can stop at the first entry of an older term.
 *
 * @example
 *   // log: index 1 term 1, index 2 term 2, index 3 term 2; currentTerm 2
 *   advanceCommitIndex({ currentTerm: 2, commitIndex: 0, matchIndex: [3, 3, 1], log }); // 3
 *   advanceCommitIndex({ currentTerm: 3, commitIndex: 0, matchIndex: [3, 3, 1], log }); // 0: no entry of term 3 yet
 */
export function advanceCommitIndex(input: CommitInput): number {
  // TODO: find the largest N > commitIndex on a strict majority of matchIndex with
  // termAt(input.log, N) === input.currentTerm; else return input.commitIndex.
  throw new NotImplemented('advanceCommitIndex(input) in exercises/raft.ts: commit the largest index on a majority whose entry is of the current term (Figure 2, §5.4.2)');
}
