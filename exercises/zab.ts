/**
 * Exercise: the two decisions of ZAB, ZooKeeper's atomic broadcast, where its recovery lives:
 * which vote wins in fast leader election, and how a new leader brings a follower to its
 * history (DIFF, TRUNC or SNAP). Junqueira, Reed & Serafini, "Zab: High-performance broadcast
 * for primary-backup systems", DSN 2011 (§III properties, §IV phases); Medeiros, "ZooKeeper's
 * atomic broadcast protocol: Theory and practice", 2012 (§3.1 fast leader election, §3.2
 * synchronization, as ZooKeeper implements them).
 *
 * Write the two functions below. Each is a pure function of what one server knows. The graded
 * tests first check each contract case by case, on frozen inputs, and name the rule a wrong
 * answer breaks. Then they plug your two functions into the real ZAB servers
 * (lib/protocols/zab/node.ts) and run the course's scenarios (a leader that crashes after
 * proposing, one that crashes after only some COMMITs, followers that return needing SNAP, TRUNC
 * or DIFF, three epochs that test the vote's order, primary order) and a seeded chaos sweep with
 * message loss, duplication, partitions and crashes. The checkers of lib/checkers/zab.ts then
 * name the property that broke (Integrity, Total order, Agreement, Local / Global primary order,
 * Primary integrity, Election termination, Delivered everywhere), with the seed to replay.
 *
 * The server does everything else: it sends and counts votes, runs discovery (FOLLOWERINFO,
 * LEADERINFO, ACKEPOCH), sends what your sync plan says, then NEWLEADER, persists, and
 * broadcasts. Read first: lib/protocols/zab/README.md and the contracts in
 * lib/protocols/zab/rules.ts (the same as below, with their types). Grade your work with:
 *
 *     npm run grade -- zab
 *
 * Words: a zxid (事务 id) is (epoch, counter): the epoch (纪元) of the primary (主节点, the
 * leader) that broadcast the transaction, and its counter in that epoch. Zxids compare by epoch,
 * then counter: use `compareZxid(a, b)` (negative, zero or positive). The zxid before any
 * transaction is `ZXID_ZERO`, (0,0).
 */
import { NotImplemented } from '../lib/grade';
import { ZXID_ZERO, compareServerIds, compareZxid, type SyncInput, type SyncPlan, type Vote } from '../lib/protocols/zab';

// Referenced so that your editor offers them; use them in your answers.
void ZXID_ZERO;
void compareServerIds;
void compareZxid;

// ---------------------------------------------------------------------------------------------
// Part 1: which vote wins (fast leader election, Medeiros §3.1; ZooKeeper's
// FastLeaderElection.totalOrderPredicate)
// ---------------------------------------------------------------------------------------------

/**
 * A LOOKING server proposes a leader in a vote `{ leader, zxid, epoch }`: the server it
 * proposes, that server's last logged zxid, and that server's current epoch (the paper's f.a:
 * the last epoch whose NEWLEADER it acknowledged). Servers exchange votes; a server adopts a
 * vote it receives, and sends it on, only when it is better than its own. The election ends
 * when a quorum holds the same vote. So this comparison decides who leads the next epoch, and
 * the new leader's history becomes everyone's: if it lacks a transaction some server delivered,
 * that transaction is lost.
 *
 * Return a positive number when `a` is better than `b`, a negative one when it is worse, and 0
 * only when both name the same server with the same epoch and zxid. Better means, in order:
 * 1. The higher `epoch`. Why first: a server that acknowledged NEWLEADER of epoch e holds e's
 *    initial history, which a quorum acknowledged and the leader of e then committed. A server
 *    of an older epoch can have a longer history (more proposals of that old epoch, never
 *    committed) and still lack transactions committed in epoch e. The classic mistake is to
 *    compare zxids first: the longer old history wins, and the next epoch takes back what was
 *    delivered (ZOOKEEPER-1154 added currentEpoch to the vote for this).
 * 2. On equal epochs, the higher `zxid` (compareZxid: epoch, then counter). A transaction
 *    committed by a quorum is in the history of a server of every quorum, so the server with
 *    the highest zxid has every committed transaction. Skipping this (epoch, then id) elects a
 *    server that missed a COMMITted transaction. Comparing `zxid.counter` alone is wrong too:
 *    (2,1) is after (1,7).
 * 3. On equal epochs and zxids, the higher server id (compareServerIds: 'n10' above 'n9').
 *    Why: in a fresh ensemble every vote has epoch 0 and zxid (0,0). Without the tie-break no
 *    vote is better than another, nobody adopts anyone's vote, and the election never ends.
 * Do not change `a` or `b`. Swapping them must swap the sign.
 *
 * @example
 *   compareVotes({ leader: 'n1', zxid: { epoch: 1, counter: 9 }, epoch: 1 },
 *                { leader: 'n2', zxid: { epoch: 1, counter: 3 }, epoch: 2 }); // < 0: epoch 2 wins
 *   compareVotes({ leader: 'n3', zxid: { epoch: 0, counter: 0 }, epoch: 0 },
 *                { leader: 'n5', zxid: { epoch: 0, counter: 0 }, epoch: 0 }); // < 0: n5 wins the tie
 */
export function compareVotes(a: Vote, b: Vote): number {
  // TODO: compare a.epoch with b.epoch; if equal, compareZxid(a.zxid, b.zxid); if equal,
  // compareServerIds(a.leader, b.leader).
  throw new NotImplemented('compareVotes(a, b) in exercises/zab.ts: the higher epoch wins, then the higher zxid, then the higher server id (Medeiros §3.1)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: DIFF, TRUNC or SNAP (synchronization, Zab §IV-B, Medeiros §3.2; ZooKeeper's
// LearnerHandler.syncFollower)
// ---------------------------------------------------------------------------------------------

/**
 * The leader of a new epoch synchronizes each follower that joins it: afterwards the follower's
 * history must equal the leader's, and only then does the follower acknowledge NEWLEADER. The
 * leader knows `input.followerLastZxid` (the last zxid in the follower's history, from its
 * ACKEPOCH; (0,0) when empty), `input.history` (the zxids of its own history, in order, index
 * 0, 1, ...), `input.committed` (indexes 0 .. committed-1 are committed) and
 * `input.committedLogSize` (how many of the last committed transactions it keeps as a log it
 * can send one by one; older ones exist only in its snapshot).
 *
 * Let n = history.length, last = history[n-1] ((0,0) when n = 0), and
 * minIndex = max(0, committed - committedLogSize): the first index the leader can still send
 * one by one. Return one of:
 * 1. The follower's last zxid is in the history, at index i (or it is (0,0): take i = -1):
 *    `{ mode: 'DIFF', sendFrom: i + 1, sendTo: n }`, unless i + 1 < minIndex: then
 *    `{ mode: 'SNAP' }`. An up-to-date follower gets an empty DIFF (sendFrom = sendTo = n).
 * 2. It is above `last`: the follower logged proposals the leader never had (an old leader's,
 *    say): `{ mode: 'TRUNC', truncZxid: last, sendFrom: n, sendTo: n }`.
 * 3. Otherwise it lies between two of the leader's zxids: the follower holds proposals of an
 *    old epoch that the leader does not have. Let k = how many of the leader's zxids are below
 *    it: `{ mode: 'TRUNC', truncZxid: history[k-1] ((0,0) when k = 0), sendFrom: k, sendTo: n }`,
 *    unless k < minIndex: then `{ mode: 'SNAP' }`.
 * Do not change `input` (nor its arrays).
 *
 * Why `sendTo` is always n, uncommitted proposals included: the new epoch's initial history is
 * the leader's whole history. A proposal it holds may already be acknowledged by a quorum, or
 * even delivered by the old leader; the new leader commits it when a quorum acknowledges
 * NEWLEADER. A follower sent only the committed part misses it, and then takes the next
 * proposal at its position (Total order). The classic slips:
 * - DIFF where a TRUNC is needed: the follower keeps an old leader's proposal that the new
 *   epoch dropped, and delivers it where the others deliver something else.
 * - Starting the DIFF at the follower's last transaction instead of the one after it: the
 *   follower logs that transaction twice and delivers it twice.
 * - Counting minIndex from history.length: uncommitted proposals are not in the committed log.
 *
 * @example
 *   const z = (epoch: number, counter: number) => ({ epoch, counter });
 *   chooseSync({ followerLastZxid: z(1, 2), history: [z(1, 1), z(1, 2), z(1, 3), z(2, 1)], committed: 4, committedLogSize: 500 });
 *   // { mode: 'DIFF', sendFrom: 2, sendTo: 4 }
 *   chooseSync({ followerLastZxid: z(1, 2), history: [z(1, 1), z(2, 1)], committed: 2, committedLogSize: 500 });
 *   // { mode: 'TRUNC', truncZxid: z(1, 1), sendFrom: 1, sendTo: 2 }
 */
export function chooseSync(input: SyncInput): SyncPlan {
  // TODO: find the follower's last zxid in input.history; DIFF after it (or SNAP if that is
  // before minIndex); TRUNC to last if it is above last; otherwise TRUNC to the leader's zxid
  // just below it (or SNAP if that is before minIndex).
  throw new NotImplemented('chooseSync(input) in exercises/zab.ts: DIFF from the next transaction, TRUNC what the leader lacks, SNAP past the committed log; always send to the end of the history (Medeiros §3.2)');
}
