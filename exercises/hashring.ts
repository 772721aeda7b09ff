/**
 * Exercise: the ring lookup of consistent hashing (一致性哈希) with virtual nodes (虚拟节点):
 * which token owns a position on the ring, and which physical nodes hold a key's N replicas
 * (Karger et al., "Consistent hashing and random trees", STOC 1997, §4; DeCandia et al.,
 * "Dynamo", SOSP 2007, §4.2-4.3).
 *
 * Write the two functions below. The graded tests check each contract on its own, then plug
 * yours into the real ring (lib/protocols/hashring: positions in [0, 2^32), each node owning
 * many tokens) and compare every lookup with a brute-force walk, count the keys that move when
 * a node joins (about 1/(n+1) of them, all to the new node), and place the replicas of the
 * quorum store (lib/protocols/quorum) with your ring under crashes and partitions.
 *
 * Read first: lib/protocols/hashring/README.md and the contracts in
 * lib/protocols/hashring/rules.ts. Grade your work with:
 *
 *     npm run grade -- hashring
 *
 * The ring is two parallel arrays sorted by position: `positions[i]` is the ring position of
 * token (virtual node) i, an integer in [0, 2^32), and `owners[i]` the physical node it belongs
 * to. A physical node with V virtual nodes appears V times in `owners`, scattered over the ring.
 */
import type { NodeId } from '../lib/core';
import { NotImplemented } from '../lib/grade';

// ---------------------------------------------------------------------------------------------
// Part 1: the successor of a position
// ---------------------------------------------------------------------------------------------

/**
 * `positions` is non-empty and sorted ascending (equal positions may occur: a hash collision);
 * `position` is an integer in [0, 2^32).
 * - Return the index of the FIRST token whose position is >= `position`: its successor,
 *   clockwise. A token exactly at `position` owns it.
 * - If `position` is greater than every token, the walk wraps past 2^32 - 1 back to 0: return 0.
 * - Use binary search: a real ring has ~100,000 tokens and every request looks a key up. The
 *   graded tests count the positions you read (a full scan reads them all).
 * - Do not change the array.
 *
 * Why: a key belongs to the first node clockwise from its hash (Karger §4). Then a node that
 * joins takes keys only from its clockwise neighbour, and only about 1/n of all keys move.
 *
 * The classic mistakes: the predecessor (the last token at or BEFORE the position), and
 * forgetting the wrap-around: a binary search over [0, n - 1] never answers "past the end",
 * so the keys between the last token and 2^32 land on the last token instead of the first.
 *
 * @example
 *   successorIndex([100, 200, 300], 150); // 1
 *   successorIndex([100, 200, 300], 200); // 1
 *   successorIndex([100, 200, 300], 301); // 0 (wrap-around)
 */
export function successorIndex(positions: readonly number[], position: number): number {
  // TODO: binary search for the first positions[i] >= position; 0 when there is none.
  throw new NotImplemented('successorIndex(positions, position) in exercises/hashring.ts: the first token at or after the position, wrapping to 0');
}

// ---------------------------------------------------------------------------------------------
// Part 2: the preference list (the key's N replicas)
// ---------------------------------------------------------------------------------------------

/**
 * `owners[i]` is the physical node of token i; `startIndex` is the key's successor index.
 * - Walk the tokens clockwise from `startIndex`: startIndex, startIndex + 1, ..., wrapping from
 *   the last index to 0, visiting each token at most once.
 * - Collect `owners[i]` unless it was already collected, until `n` nodes are collected or every
 *   token has been visited.
 * - Return them in the order collected (the first is the key's coordinator). Fewer than `n`
 *   only when the ring has fewer than `n` distinct physical nodes.
 *
 * Why: the N replicas exist so that the key survives N - 1 failed MACHINES. With virtual
 * nodes, the next tokens clockwise often belong to the same machine; Dynamo §4.3 skips them
 * so that the list "contains only distinct physical nodes".
 *
 * The classic mistakes: taking the next n tokens (two replicas on one machine: one crash
 * loses both), and stopping at the end of the array (keys near 2^32 get fewer replicas).
 *
 * @example
 *   preferenceList(['a', 'a', 'b', 'c'], 1, 2); // ['a', 'b']
 *   preferenceList(['a', 'b', 'c'], 2, 2);      // ['c', 'a'] (wrap-around)
 */
export function preferenceList(owners: readonly NodeId[], startIndex: number, n: number): NodeId[] {
  // TODO: walk clockwise from startIndex (wrapping), collecting distinct owners until n or a full turn.
  throw new NotImplemented('preferenceList(owners, startIndex, n) in exercises/hashring.ts: the next n distinct physical nodes clockwise');
}
