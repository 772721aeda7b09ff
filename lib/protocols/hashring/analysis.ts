import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { hash32, positionToDegrees } from './hash';
import { HashRing, modNOwner } from './ring';
import { RingRules } from './rules';

/**
 * Data for the charts of the consistent-hashing notebook: keys that move when a node joins or
 * leaves (Karger et al. 1997 §4, "monotonicity": only about 1/n of the keys move, against
 * nearly all under hashing mod n), the load of each node against the number of virtual nodes
 * (the spread of a node's share falls like 1/sqrt(V); Dynamo §6.2 and Stoica et al., "Chord",
 * SIGCOMM 2001 §6.1), hot spots that virtual nodes cannot fix, and a picture of the ring.
 * Everything is deterministic: the same arguments give the same rows.
 */

/** `count` key names: key0, key1, ... (with a prefix of your choice). */
export function sampleKeys(count: number, prefix = 'key'): string[] {
  requireInteger('count', count, 0);
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** Node names n1..n<count>. */
export function nodeNames(count: number, prefix = 'n'): NodeId[] {
  requireInteger('nodes', count, 1);
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** How many keys changed owner between two assignments. */
export interface KeyMovement {
  moved: number;
  total: number;
  /** moved / total. */
  fraction: number;
}

/**
 * How many of `keys` change owner when one node joins (n -> n + 1) or leaves (n -> n - 1),
 * under hashing mod n or the ring.
 *
 * @example
 *   keysMoved({ scheme: 'modN', nodes: 10, change: 'join', keys: sampleKeys(10000) }).fraction; // ~0.91
 *   keysMoved({ scheme: 'ring', nodes: 10, change: 'join', keys: sampleKeys(10000), virtualNodes: 100 }).fraction; // ~0.09
 */
export function keysMoved(options: {
  scheme: 'modN' | 'ring';
  /** Nodes before the change. */
  nodes: number;
  change: 'join' | 'leave';
  keys: readonly string[];
  virtualNodes?: number;
  rules?: Partial<RingRules>;
}): KeyMovement {
  const n = requireInteger('nodes', options.nodes, options.change === 'leave' ? 2 : 1);
  const before = nodeNames(n);
  const after = options.change === 'join' ? nodeNames(n + 1) : before.slice(0, -1);
  let ownerBefore: (key: string) => NodeId;
  let ownerAfter: (key: string) => NodeId;
  if (options.scheme === 'modN') {
    ownerBefore = (key) => modNOwner(key, before);
    ownerAfter = (key) => modNOwner(key, after);
  } else if (options.scheme === 'ring') {
    const v = options.virtualNodes ?? 1;
    const ringBefore = new HashRing(before, { virtualNodes: v, rules: options.rules });
    const ringAfter = options.change === 'join' ? ringBefore.withNode(after[after.length - 1], v) : ringBefore.withoutNode(before[before.length - 1]);
    ownerBefore = (key) => ringBefore.owner(key);
    ownerAfter = (key) => ringAfter.owner(key);
  } else {
    throw new ConfigError('scheme', "'modN' or 'ring'", options.scheme);
  }
  let moved = 0;
  for (const key of options.keys) if (ownerBefore(key) !== ownerAfter(key)) moved++;
  const total = options.keys.length;
  return { moved, total, fraction: total === 0 ? 0 : moved / total };
}

/** One row of the key-movement chart. */
export interface KeyMovementRow {
  /** Nodes before the change. */
  nodes: number;
  change: 'join' | 'leave';
  /** Fraction of keys that move under hashing mod n. */
  modN: number;
  /** Fraction that move on the ring. */
  ring: number;
  /** What an ideal scheme moves: 1/(n+1) for a join, 1/n for a leave. */
  ideal: number;
}

/**
 * Rows for the chart "keys that move when a node joins (or leaves)", for each node count.
 *
 * @example
 *   keyMovementRows({ nodeCounts: [2, 4, 8, 16], keys: 10000, virtualNodes: 100 });
 *   // [{ nodes: 2, change: 'join', modN: 0.67, ring: 0.33, ideal: 0.33 }, ...]
 */
export function keyMovementRows(options: { nodeCounts: readonly number[]; keys?: number; virtualNodes?: number; change?: 'join' | 'leave' }): KeyMovementRow[] {
  const keys = sampleKeys(options.keys ?? 10_000);
  const change = options.change ?? 'join';
  return options.nodeCounts.map((nodes) => ({
    nodes,
    change,
    modN: keysMoved({ scheme: 'modN', nodes, change, keys }).fraction,
    ring: keysMoved({ scheme: 'ring', nodes, change, keys, virtualNodes: options.virtualNodes ?? 100 }).fraction,
    ideal: change === 'join' ? 1 / (nodes + 1) : 1 / nodes,
  }));
}

/** One row of the load-spread chart. */
export interface LoadSpreadRow {
  virtualNodes: number;
  /** Standard deviation of the nodes' shares of the ring, relative to the mean share. */
  relativeStd: number;
  /** The largest and smallest share, relative to the mean (1 = perfectly even). */
  maxOverMean: number;
  minOverMean: number;
  /** What theory predicts for relativeStd: 1/sqrt(V) (a share is a sum of V arcs). */
  predicted: number;
}

/**
 * Rows for the chart "each node's load relative to the mean against the number of virtual
 * nodes V": loads are the exact shares of the ring (arc lengths), so no key sampling noise.
 *
 * @example
 *   loadSpreadRows({ nodes: 100, virtualNodes: [1, 10, 100] });
 *   // [{ virtualNodes: 1, relativeStd: ~1.0, ... predicted: 1 }, { virtualNodes: 100, relativeStd: ~0.1, predicted: 0.1 }]
 */
export function loadSpreadRows(options: { nodes?: number; virtualNodes: readonly number[]; rules?: Partial<RingRules> }): LoadSpreadRow[] {
  const names = nodeNames(options.nodes ?? 100);
  return options.virtualNodes.map((v) => {
    const shares = Object.values(new HashRing(names, { virtualNodes: v, rules: options.rules }).ownership());
    const mean = 1 / names.length;
    const relative = shares.map((s) => s / mean);
    const variance = relative.reduce((sum, r) => sum + (r - 1) ** 2, 0) / relative.length;
    return {
      virtualNodes: v,
      relativeStd: Math.sqrt(variance),
      maxOverMean: Math.max(...relative),
      minOverMean: Math.min(...relative),
      predicted: 1 / Math.sqrt(v),
    };
  });
}

/** One node's load, in keys and relative to the mean over nodes. */
export interface NodeLoad {
  node: NodeId;
  load: number;
  relative: number;
}

/**
 * Each node's load from `keys`, weighted by `weight(key, index)` (1 each by default), on the
 * ring; sorted by load, heaviest first.
 */
export function nodeLoads(ring: HashRing, keys: readonly string[], weight: (key: string, index: number) => number = () => 1): NodeLoad[] {
  const load: Record<NodeId, number> = {};
  for (const node of ring.nodes) load[node] = 0;
  keys.forEach((key, i) => {
    load[ring.owner(key)] += weight(key, i);
  });
  const mean = Object.values(load).reduce((a, b) => a + b, 0) / ring.nodes.length;
  return ring.nodes.map((node) => ({ node, load: load[node], relative: mean === 0 ? 0 : load[node] / mean })).sort((a, b) => b.load - a.load || (a.node < b.node ? -1 : 1));
}

/** The hot-spot comparison: per node, the load of uniform keys and of Zipf-popular keys. */
export interface HotSpotReport {
  /** Heaviest node first (by the Zipf load). */
  rows: { node: NodeId; uniformRelative: number; zipfRelative: number }[];
  /** The most popular key's share of all requests (no placement can split one key). */
  hottestKeyShare: number;
  hottestKeyOwner: NodeId;
}

/**
 * Hot spots (热点): requests follow a Zipf law (key of rank k is asked with weight 1/k^s, as
 * web workloads do; Breslau et al., INFOCOM 1999), so the node that owns the hottest keys is
 * overloaded however many virtual nodes there are: virtual nodes even out key counts, not
 * popularity. Deterministic (the weights are computed, not sampled).
 *
 * @example
 *   const r = hotSpots({ nodes: 10, virtualNodes: 100, keys: 10000, zipfExponent: 1 });
 *   r.rows[0].zipfRelative; // e.g. 1.9: the hottest node gets ~2x the mean
 */
export function hotSpots(options: { nodes?: number; virtualNodes?: number; keys?: number; zipfExponent?: number }): HotSpotReport {
  const s = requireNumberInRange('zipfExponent', options.zipfExponent ?? 1, 0, 10);
  const ring = new HashRing(nodeNames(options.nodes ?? 10), { virtualNodes: options.virtualNodes ?? 100 });
  const keys = sampleKeys(options.keys ?? 10_000);
  const zipf = (_key: string, i: number) => 1 / Math.pow(i + 1, s);
  const uniform = new Map(nodeLoads(ring, keys).map((l) => [l.node, l.relative]));
  const popular = nodeLoads(ring, keys, zipf);
  const total = keys.reduce((sum, key, i) => sum + zipf(key, i), 0);
  return {
    rows: popular.map((l) => ({ node: l.node, uniformRelative: uniform.get(l.node) ?? 0, zipfRelative: l.relative })),
    hottestKeyShare: keys.length === 0 ? 0 : 1 / total,
    hottestKeyOwner: keys.length === 0 ? '' : ring.owner(keys[0]),
  };
}

/** Data for a picture of the ring: tokens and keys with their positions and angles. */
export interface RingPicture {
  tokens: { node: NodeId; token: number; position: number; degrees: number }[];
  keys: { key: string; position: number; degrees: number; owner: NodeId; replicas: NodeId[] }[];
}

/**
 * Where every token and key sits on the ring (degrees: 0 at the top, clockwise), each key
 * with its owner and its `replicas`-long preference list.
 *
 * @example
 *   ringPicture(new HashRing(['a', 'b', 'c'], { virtualNodes: 3 }), ['x', 'y'], 2);
 *   // { tokens: [{ node: 'b', token: 1, position: 312..., degrees: 26.2 }, ...], keys: [...] }
 */
export function ringPicture(ring: HashRing, keys: readonly string[], replicas = 1): RingPicture {
  const { positions, owners, tokenIds } = ring.state;
  return {
    tokens: positions.map((position, i) => ({ node: owners[i], token: tokenIds[i], position, degrees: positionToDegrees(position) })),
    keys: keys.map((key) => {
      const position = hash32(key);
      return { key, position, degrees: positionToDegrees(position), owner: ring.ownerAt(position), replicas: ring.preferenceListAt(position, replicas) };
    }),
  };
}
