/**
 * Consistent hashing (一致性哈希): hashing mod n, a ring of 2^32 positions, virtual nodes
 * (虚拟节点) and preference lists (Karger et al., STOC 1997; DeCandia et al., "Dynamo", SOSP
 * 2007 §4.2-4.3), with the lookup pluggable (the exercise) and functions that return data for
 * the notebook's charts. The quorum store (lib/protocols/quorum) places replicas with it.
 *
 * @example
 *   import { HashRing, keyMovementRows, loadSpreadRows } from 'consensus-lab/protocols/hashring';
 *   const ring = new HashRing(['n1', 'n2', 'n3'], { virtualNodes: 16 });
 *   ring.preferenceList('user:42', 2);
 */
export * from './hash';
export * from './rules';
export * from './ring';
export * from './analysis';
