import { ConfigError, StableHash, fnv1a32, requireInteger } from '../../core';
import { Database } from '../gossip/versions';

/**
 * A small Merkle tree (Merkle 1987) over key ranges, for anti-entropy that compares digests
 * instead of whole data sets (Dynamo, DeCandia et al. 2007 §4.7; Cassandra's repair). The key
 * space is the 32-bit FNV hash of the key, cut into 2^depth equal ranges; leaf i hashes the
 * versions of the keys whose hash falls in range i, and each inner node hashes its two
 * children. Two replicas with equal roots hold equal data (up to hash collisions); where they
 * differ, comparing level by level finds the differing ranges in `depth` round trips while
 * shipping only the hashes of nodes under a difference.
 *
 * @example
 *   const tree = merkleTree(db, 4);  // 16 key ranges
 *   tree.levels[0][0];                 // the root hash
 *   diffIndices(tree, 1, [0, 1], theirHashes); // which of the two halves differ
 */
export interface MerkleTree {
  depth: number;
  /** levels[d] holds the 2^d hashes of depth d ('' for a range with no keys). */
  levels: string[][];
}

/** The key range (leaf index) of a key in a tree of this depth. */
export function keyRange(key: string, depth: number): number {
  return depth === 0 ? 0 : fnv1a32(key) >>> (32 - depth);
}

/** Builds the tree of a database. Depth 0 is a single hash of everything. */
export function merkleTree(db: Database, depth: number): MerkleTree {
  requireInteger('depth', depth, 0);
  if (depth > 20) throw new ConfigError('depth', 'an integer <= 20', depth);
  const leafCount = 1 << depth;
  const buckets: string[][] = Array.from({ length: leafCount }, () => []);
  for (const key of Object.keys(db).sort()) {
    const versions = db[key];
    if (versions.length === 0) continue;
    buckets[keyRange(key, depth)].push(`${key}=${versions.map((v) => `${v.timestampMs}.${v.node}`).join('|')}`);
  }
  const levels: string[][] = new Array(depth + 1);
  levels[depth] = buckets.map((b) => (b.length === 0 ? '' : new StableHash().update(b.join(';')).digest()));
  for (let d = depth - 1; d >= 0; d--) {
    const below = levels[d + 1];
    levels[d] = Array.from({ length: 1 << d }, (_, i) => {
      const [l, r] = [below[2 * i], below[2 * i + 1]];
      return l === '' && r === '' ? '' : new StableHash().update(`${l}/${r}`).digest();
    });
  }
  return { depth, levels };
}

/** The indices among `indices` at `level` whose hash in `tree` differs from `hashes` (index-aligned). */
export function diffIndices(tree: MerkleTree, level: number, indices: readonly number[], hashes: readonly string[]): number[] {
  return indices.filter((index, i) => tree.levels[level][index] !== hashes[i]);
}

/** The children (at level + 1) of the given nodes at `level`. */
export function childIndices(indices: readonly number[]): number[] {
  const out: number[] = [];
  for (const i of indices) out.push(2 * i, 2 * i + 1);
  return out;
}

/** The entries of a database whose keys fall in the given leaf ranges. */
export function entriesInRanges(db: Database, ranges: readonly number[], depth: number): Database {
  const wanted = new Set(ranges);
  const out: Database = {};
  for (const key of Object.keys(db)) if (wanted.has(keyRange(key, depth))) out[key] = db[key];
  return out;
}
