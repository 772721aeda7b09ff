/**
 * Exercise: a quorum read with read repair, the two decisions a Dynamo-style coordinator makes
 * when the replies to a read come in (DeCandia et al., "Dynamo", SOSP 2007, §4.5 and §5;
 * Gifford, "Weighted voting for replicated data", SOSP 1979).
 *
 * Write the two functions below. The graded tests check each contract on its own, then plug
 * both into the real store (lib/protocols/quorum: N = 3 replicas per key, W and R quorums,
 * placed on a hash ring) and run it: scripted schedules where a stale replica answers first,
 * reads right after writes on a random network, and seeded runs with message loss,
 * duplication, reordering, partitions and crashes. They check that with W + R > N every read
 * sees the latest completed write, and that read repair brings the replicas back together.
 *
 * Read first: lib/protocols/quorum/README.md (NWR: 可用性 / 一致性, availability against
 * consistency) and the contracts in lib/protocols/quorum/rules.ts. Grade your work with:
 *
 *     npm run grade -- quorum
 *
 * A replica's record is `{ value, version }`; versions are `{ ts, node }`, ordered by `ts`, then
 * by node id (last writer wins). Use `compareVersions(a, b)`: negative, zero or positive as a
 * is older than, the same as, or newer than b (a missing version is the oldest of all).
 */
import type { NodeId } from '../lib/core';
import { NotImplemented } from '../lib/grade';
import { compareVersions, type ReadReply, type VersionedValue } from '../lib/protocols/quorum';

// ---------------------------------------------------------------------------------------------
// Part 1: the value a quorum read returns
// ---------------------------------------------------------------------------------------------

/**
 * The coordinator has asked the key's N replicas and heard from at least R of them. `replies`
 * holds one entry per replica that answered, in the order the answers arrived: `{ from, record }`
 * where `record` is what that replica holds for the key, or null if it holds nothing.
 * - Return the record with the highest version (compareVersions), as it is.
 * - Return null only when every reply's record is null (the key was never written).
 * - Do not change `replies` or the records in it.
 *
 * Why: with W + R > N the R replicas that answered include at least one of the W that
 * acknowledged the latest completed write, so the newest record among them IS that write
 * ("the copy with the highest version number is current", Gifford §3).
 *
 * The classic mistake: returning the first reply. The first answer comes from the fastest
 * replica, not the freshest; a replica that missed the last write is often the quickest to
 * answer (it is the one the write did not keep busy), and the read returns stale data.
 */
export function resolveRead(replies: readonly ReadReply[]): VersionedValue | null {
  // TODO: keep the reply record with the highest version (compareVersions); null if none has one.
  throw new NotImplemented('resolveRead(replies) in exercises/quorum.ts: return the record with the highest version');
}

// ---------------------------------------------------------------------------------------------
// Part 2: which replicas read repair writes back to
// ---------------------------------------------------------------------------------------------

/**
 * After answering, the coordinator writes `chosen` (what your resolveRead returned) back to the
 * replicas that are behind: read repair (Dynamo §5). Given the replies and `chosen`:
 * - If `chosen` is null, return [] (there is nothing to write back).
 * - Otherwise return the `from` of every reply whose record is null OR has a version older than
 *   `chosen.version`, in reply order, each node at most once.
 * - Leave out replicas that already hold `chosen`'s version or a newer one.
 *
 * The coordinator calls it once with the replies it has when it answers the client, and again
 * with each single reply that arrives after that, so a replica that answers late is repaired
 * too. Do not change the arguments.
 *
 * Why: without repair a replica that missed a write (it was down, or the write's message was
 * lost) stays behind until the next write of the key reaches it, and every read quorum that
 * leans on it is one replica closer to stale. Repair makes each read heal what it saw.
 *
 * The classic mistake: repairing only the replicas that had nothing (record === null). A
 * replica holding an OLDER version is just as stale, and far more common: it missed one write,
 * not all of them.
 */
export function repairTargets(replies: readonly ReadReply[], chosen: VersionedValue | null): NodeId[] {
  // TODO: the replicas whose record is null or older than chosen, in reply order, each once.
  throw new NotImplemented('repairTargets(replies, chosen) in exercises/quorum.ts: name the replicas that are behind chosen');
}
