/**
 * Exercise: merging in anti-entropy, the rule that reconciles two replicas' versions of one key
 * when they gossip (Demers et al., "Epidemic algorithms for replicated database maintenance",
 * PODC 1987, §1.1 and §1.3; DeCandia et al., "Dynamo", SOSP 2007, §4.4).
 *
 * Write the two functions below: last-writer-wins, and vector clocks that keep siblings. The
 * graded tests check each contract on its own, then the laws anti-entropy relies on over
 * random replica histories, then plug your rules into the real gossip nodes
 * (lib/protocols/gossip) and the AP register of the CAP experiments (lib/protocols/cap) and
 * run them through partitions and crashes: after healing, every replica must hold the same
 * versions (最终一致性, eventual consistency), and with vector clocks no write may be lost.
 *
 * Read first: lib/protocols/gossip/README.md and the contracts in
 * lib/protocols/gossip/merge.ts. Grade your work with:
 *
 *     npm run grade -- gossip
 *
 * A version is `{ value, timestampMs, node, clock }`. Helpers from lib/protocols/gossip:
 * `compareStamps(a, b)` orders by (timestampMs, node): negative, zero or positive;
 * `compareClocks(a.clock, b.clock)` says 'before', 'after', 'equal' or 'concurrent'.
 */
import { NotImplemented } from '../lib/grade';
import { compareClocks, compareStamps, type Version } from '../lib/protocols/gossip';

// ---------------------------------------------------------------------------------------------
// Part 1: last-writer-wins
// ---------------------------------------------------------------------------------------------

/**
 * Two replicas each hold at most one version of a key: `local` (this replica's) and `remote`
 * (the one that arrived), each `undefined` when that replica has none.
 * - If one is undefined, return the other (both undefined: return undefined).
 * - Otherwise return the greater by `compareStamps`: the later timestamp, and on equal
 *   timestamps the higher node id. Equal stamps are the same write: return either.
 * - Return one of the two arguments as it is; do not change them.
 *
 * Why: anti-entropy converges only if every replica picks the SAME winner whatever the order
 * it hears the versions in (lww(a, b) must equal lww(b, a)). A total order does that: the
 * timestamp, then the node id to break ties (Demers §1.1). And the winner must be the newest
 * write, or replicas agree on an old value and the latest acknowledged write is gone.
 *
 * The classic mistake: comparing timestamps only and keeping your own on a tie. Two writes
 * in the same millisecond on two replicas then each keep their own forever: they never agree.
 */
export function lww(local: Version | undefined, remote: Version | undefined): Version | undefined {
  // TODO: handle undefined; otherwise keep the greater by compareStamps (time, then node id).
  throw new NotImplemented('lww(local, remote) in exercises/gossip.ts: keep the newest version by (timestampMs, node)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: vector clocks, keeping siblings
// ---------------------------------------------------------------------------------------------

/**
 * Each replica holds a list of siblings for the key: versions none of which has seen another
 * (compareClocks is 'concurrent' between any two of one list). Either list may be empty.
 * - Return every version of the union `local ∪ remote` that no other version of the union has
 *   seen: drop `v` when `compareClocks(v.clock, w.clock) === 'before'` for some `w`.
 * - Versions with equal clocks are the same write: keep one of them, not both.
 * - Order does not matter (the caller sorts); do not change the arguments.
 *
 * Why: two writes made on two sides of a partition are concurrent: neither saw the other, and
 * neither may silently win, or an acknowledged write is lost (this is what last-writer-wins
 * does). Keep both as siblings until a client reads them and writes over both (Dynamo §4.4).
 * A version that another has seen WAS overwritten, knowingly: it must go, or stale values come
 * back from the dead.
 *
 * The classic mistakes: keeping only your own side when the other is concurrent (a lost update,
 * and two replicas that never agree); and a plain union that never prunes (overwritten values
 * live on beside the writes that replaced them).
 */
export function siblings(local: readonly Version[], remote: readonly Version[]): Version[] {
  // TODO: from local and remote together, keep what nothing else has seen; one copy per clock.
  throw new NotImplemented('siblings(local, remote) in exercises/gossip.ts: keep the versions of the union no other version has seen');
}
