/**
 * Exercise: vote granting, the AppendEntries receiver and the leader's commit rule (Raft).
 * Reference solution. The learner's version is exercises/raft.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read
 * them, with their contracts, in lib/protocols/raft/rules.ts (Ongaro & Ousterhout 2014,
 * Figure 2: "RequestVote RPC, Receiver implementation" with §5.2 and §5.4.1 for
 * handleRequestVote; "AppendEntries RPC, Receiver implementation" with §5.3 and §7 for
 * handleAppendEntries; "Rules for Servers, Leaders", last bullet, with §5.4.2 and Figure 8 for
 * advanceCommitIndex).
 */
export { handleRequestVote, handleAppendEntries, advanceCommitIndex } from '../lib/protocols/raft';
