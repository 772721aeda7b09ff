import { ConfigError, NodeId, requireInteger } from '../../core';
import { RING_SIZE, hash32 } from './hash';
import { RingRules, resolveRingRules } from './rules';

/**
 * A consistent-hashing ring with virtual nodes (一致性哈希, 虚拟节点), as plain data: Karger et
 * al., "Consistent hashing and random trees", STOC 1997, §4; virtual nodes and preference
 * lists as in DeCandia et al., "Dynamo", SOSP 2007, §4.2-4.3.
 *
 * Each physical node owns `virtualNodes` tokens, at positions hash32(`${node}#${i}`) on a ring
 * of 2^32 positions. A key belongs to the first token clockwise from hash32(key), and its N
 * replicas to the next N distinct physical nodes from there.
 */
export interface RingState {
  /** Token positions, sorted ascending (ties in node then token order). */
  positions: number[];
  /** owners[i]: the physical node of token i. */
  owners: NodeId[];
  /** tokenIds[i]: which of its owner's virtual nodes token i is (0 .. V-1). */
  tokenIds: number[];
  /** How many virtual nodes each physical node has, in the order the nodes joined. */
  virtualNodes: Record<NodeId, number>;
}

/** The ring position of virtual node `index` of `node`. */
export function tokenPosition(node: NodeId, index: number): number {
  return hash32(`${node}#${index}`);
}

/**
 * A ring of `nodes`, each with `virtualNodes` tokens (one number for all, or one per node).
 *
 * @example
 *   const state = ringState(['n1', 'n2', 'n3'], 8);
 *   state.positions.length; // 24
 */
export function ringState(nodes: readonly NodeId[], virtualNodes: number | Record<NodeId, number> = 1): RingState {
  if (!Array.isArray(nodes)) throw new ConfigError('nodes', 'an array of node ids', nodes);
  const counts: Record<NodeId, number> = {};
  for (const node of nodes) {
    if (typeof node !== 'string' || node === '') throw new ConfigError('nodes', 'non-empty strings', node);
    if (node in counts) throw new ConfigError('nodes', 'distinct node ids', node);
    const v = typeof virtualNodes === 'number' ? virtualNodes : virtualNodes[node] ?? 1;
    counts[node] = requireInteger(`virtualNodes${typeof virtualNodes === 'number' ? '' : `.${node}`}`, v, 1);
  }
  return buildState(counts);
}

/** The ring with `node` added (with `virtualNodes` tokens); the input is not changed. */
export function withNode(state: RingState, node: NodeId, virtualNodes = 1): RingState {
  if (node in state.virtualNodes) throw new ConfigError('node', `a node not yet on the ring (${Object.keys(state.virtualNodes).join(', ')})`, node);
  return buildState({ ...state.virtualNodes, [node]: requireInteger('virtualNodes', virtualNodes, 1) });
}

/** The ring with `node` and its tokens removed; the input is not changed. */
export function withoutNode(state: RingState, node: NodeId): RingState {
  if (!(node in state.virtualNodes)) throw new ConfigError('node', `a node on the ring (${Object.keys(state.virtualNodes).join(', ')})`, node);
  const counts = { ...state.virtualNodes };
  delete counts[node];
  return buildState(counts);
}

function buildState(counts: Record<NodeId, number>): RingState {
  const nodes = Object.keys(counts);
  const tokens: { position: number; owner: NodeId; order: number; id: number }[] = [];
  nodes.forEach((owner, order) => {
    for (let id = 0; id < counts[owner]; id++) tokens.push({ position: tokenPosition(owner, id), owner, order, id });
  });
  tokens.sort((a, b) => a.position - b.position || a.order - b.order || a.id - b.id);
  return {
    positions: tokens.map((t) => t.position),
    owners: tokens.map((t) => t.owner),
    tokenIds: tokens.map((t) => t.id),
    virtualNodes: counts,
  };
}

/**
 * A consistent-hashing ring: the plain-data `state` and the lookups, with pluggable rules
 * (a learner's `successorIndex` and `preferenceList`).
 *
 * @example
 *   const ring = new HashRing(['n1', 'n2', 'n3', 'n4', 'n5'], { virtualNodes: 16 });
 *   ring.owner('user:42');              // e.g. 'n3'
 *   ring.preferenceList('user:42', 3);  // e.g. ['n3', 'n1', 'n5']: three distinct nodes
 */
export class HashRing {
  readonly state: RingState;
  readonly rules: RingRules;

  constructor(nodes: readonly NodeId[] | RingState, options: { virtualNodes?: number | Record<NodeId, number>; rules?: Partial<RingRules> } = {}) {
    this.state = Array.isArray(nodes) ? ringState(nodes, options.virtualNodes ?? 1) : (nodes as RingState);
    this.rules = resolveRingRules(options.rules);
  }

  /** The physical nodes on the ring, in the order they joined. */
  get nodes(): NodeId[] {
    return Object.keys(this.state.virtualNodes);
  }

  /** The index of the token that owns ring position `position` (the rule's answer, checked). */
  tokenIndexAt(position: number): number {
    const { positions } = this.state;
    if (positions.length === 0) throw new ConfigError('ring', 'at least one node', 'an empty ring');
    const i = this.rules.successorIndex(positions, position);
    if (!Number.isInteger(i) || i < 0 || i >= positions.length) {
      throw new Error(`successorIndex returned ${JSON.stringify(i)} for position ${position} on a ring of ${positions.length} tokens; it must return an index in [0, ${positions.length - 1}]`);
    }
    return i;
  }

  /** The physical node that owns `key` (its coordinator). */
  owner(key: string): NodeId {
    return this.state.owners[this.tokenIndexAt(hash32(key))];
  }

  /** The physical node that owns ring position `position`. */
  ownerAt(position: number): NodeId {
    return this.state.owners[this.tokenIndexAt(position)];
  }

  /** The first `n` distinct physical nodes clockwise from `key`: its replicas (Dynamo §4.3). */
  preferenceList(key: string, n: number): NodeId[] {
    return this.preferenceListAt(hash32(key), n);
  }

  /** The preference list of ring position `position`. */
  preferenceListAt(position: number, n: number): NodeId[] {
    const list = this.rules.preferenceList(this.state.owners, this.tokenIndexAt(position), n);
    if (!Array.isArray(list)) throw new Error(`preferenceList returned ${JSON.stringify(list)}; it must return an array of node ids`);
    return list;
  }

  /** A ring with `node` added; this one is unchanged. */
  withNode(node: NodeId, virtualNodes = 1): HashRing {
    return new HashRing(withNode(this.state, node, virtualNodes), { rules: this.rules });
  }

  /** A ring with `node` removed; this one is unchanged. */
  withoutNode(node: NodeId): HashRing {
    return new HashRing(withoutNode(this.state, node), { rules: this.rules });
  }

  /**
   * The fraction of the ring (0..1) each physical node owns: the arcs from each token's
   * predecessor (exclusive) to the token (inclusive), summed per owner.
   */
  ownership(): Record<NodeId, number> {
    const { positions, owners } = this.state;
    const out: Record<NodeId, number> = {};
    for (const node of this.nodes) out[node] = 0;
    for (let i = 0; i < positions.length; i++) {
      const previous = i === 0 ? positions[positions.length - 1] - RING_SIZE : positions[i - 1];
      out[owners[i]] += (positions[i] - previous) / RING_SIZE;
    }
    return out;
  }
}

/**
 * Hashing mod n, the scheme consistent hashing replaces: key -> nodes[hash32(key) mod n].
 * Adding a node changes n and moves almost every key.
 *
 * @example
 *   modNOwner('user:42', ['n1', 'n2', 'n3']); // e.g. 'n2'
 */
export function modNOwner(key: string, nodes: readonly NodeId[]): NodeId {
  if (nodes.length === 0) throw new ConfigError('nodes', 'a non-empty array', nodes);
  return nodes[hash32(key) % nodes.length];
}
