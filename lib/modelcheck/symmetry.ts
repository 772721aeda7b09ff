import { ConfigError, NodeId, canonicalJson, fnv1a32 } from '../core';
import { NodeRunner } from './runner';
import { Layout, encodeState } from './state';

/**
 * Symmetry reduction (Ip and Dill, "Better verification through symmetry", 1996; TLC's
 * SYMMETRY): when some nodes are interchangeable, as the acceptors of Paxos are, a state and
 * the same state with those nodes renamed have the same future up to the renaming, so the
 * search keeps one of them. The visited set holds each state's canonical key: the members
 * are put in the order of a signature that renaming does not change (hashes of what each
 * looks like from everywhere: see `signaturesOf`), and where signatures tie every order is
 * tried and the smallest key kept, so all renamings of a state get the same key. The search
 * itself goes on from the state it actually reached, so a counterexample is a real run,
 * step for step. The group must also share crashability and timer budgets (checked).
 *
 * A renaming rewrites every string equal to a node id of the group, in node states, stores,
 * messages and the ghost, object keys included; an array made only of such ids is read as a
 * set and sorted again (the Paxos nodes keep such arrays sorted). It is sound only when the
 * model treats the group alike: the same code and options for each, and nothing that depends
 * on their order. Paxos' reference `chooseValue` qualifies (it takes the highest ballot, and
 * one ballot has one value); a learner's rule that takes, say, the first promise does not, so
 * graded checks leave symmetry off.
 */
export class Symmetry<M, T, G> {
  /** Each renaming as a map of node index -> node index (identity outside the group); the identity first. */
  private readonly permutations: number[][];
  private readonly renames: Map<string, string>[];
  /** Per renaming: id -> renamed id, for states, stores, messages and ghosts (filled as needed). */
  private readonly tables: { states: number[]; stores: number[]; messages: number[]; ghosts: number[] }[];
  private readonly scratch: number[] = [];
  private sortScratch = new Float64Array(64);
  /** Node indexes of the group's members, and their ids. */
  private readonly group: number[];
  private readonly names: string[];
  /** Renaming index by placement code (see placementCode): [2, 0, 1] = member 2 goes to the first slot, 0 to the second, 1 to the third. */
  private readonly byPlacement = new Map<number, number>();
  /** memberAt[node index]: its place in the group, or -1. */
  private readonly memberAt: number[];
  private parent: readonly number[] | null = null;
  /** Scratch for `candidates`. */
  private readonly order: number[];
  private parentSignatures: number[] = [];
  /** Every member id -> "*". */
  private readonly blankAll: Map<string, string>;
  /** blankFrom[k]: member k -> "#", the others -> "*". */
  private readonly blankFrom: Map<string, string>[];
  private readonly blankCache = { states: [] as number[], stores: [] as number[] };
  private readonly mentionCache = { states: [] as number[][], stores: [] as number[][], ghosts: [] as number[][], messages: [] as number[][] };

  constructor(
    private readonly runner: NodeRunner<M, T, G>,
    private readonly layout: Layout,
    group: readonly NodeId[],
  ) {
    const nodes = runner.spec.nodes;
    if (group.length > 6) throw new ConfigError('symmetric', 'at most 6 nodes (6! = 720 renamings)', group.length);
    const indexes = group.map((id) => {
      const i = nodes.indexOf(id);
      if (i < 0) throw new ConfigError('symmetric', `node ids of the model (${nodes.join(', ')})`, id);
      return i;
    });
    const spec = runner.spec;
    const crashable = group.filter((id) => spec.crashable?.includes(id));
    if (crashable.length !== 0 && crashable.length !== group.length) throw new ConfigError('symmetric', `nodes that are all crashable or none (crashable: ${crashable.join(', ')})`, group);
    if (new Set(group.map((id) => spec.timerBudget[id] ?? 0)).size > 1) throw new ConfigError('symmetric', 'nodes with the same timer budget', group);
    this.permutations = permutationsOf(indexes).map((image) => {
      const map = nodes.map((_, i) => i);
      indexes.forEach((from, k) => (map[from] = image[k]));
      return map;
    });
    this.renames = this.permutations.map((map) => new Map(indexes.map((i) => [nodes[i], nodes[map[i]]])));
    this.tables = this.permutations.map(() => ({ states: [], stores: [], messages: [], ghosts: [] }));
    this.group = indexes;
    this.names = indexes.map((i) => nodes[i]);
    this.memberAt = nodes.map((_, i) => indexes.indexOf(i));
    this.order = indexes.map((_, k) => k);
    this.permutations.forEach((map, p) => this.byPlacement.set(placementCode(indexes.map((slot) => indexes.findIndex((i) => map[i] === slot))), p));
    this.blankAll = new Map(this.names.map((name) => [name, '*']));
    this.blankFrom = this.names.map((self) => new Map(this.names.map((name) => [name, name === self ? '#' : '*'])));
  }

  /**
   * The canonical key of `state` (whose plain key is `key`): the smallest key over the
   * renamings that sort the group's members by their signature (see `signaturesOf`);
   * members with equal signatures are tried in every order. Equal for all renamings of a
   * state. `parent`, the state `state` was reached from, makes the signatures cheap: only
   * what changed between the two is hashed again.
   */
  canonicalKey(state: readonly number[], key: string, parent?: readonly number[]): string {
    const signatures = parent === undefined ? this.signaturesOf(state) : this.signaturesFrom(parent, state);
    let best: string | null = null;
    for (const p of this.candidates(signatures)) {
      const candidate = p === 0 ? key : encodeState(this.renamed(state, p));
      if (best === null || candidate < best) best = candidate;
    }
    return best as string;
  }

  /**
   * One number per member that renaming does not change: the sum of hashes of its own state,
   * store and budget with the group's ids blanked out, and of every message, node state,
   * store and ghost that mentions it (it written as "#", the other members as "*"). Members
   * that look alike from everywhere get equal signatures.
   */
  private signaturesOf(state: readonly number[]): number[] {
    const signatures = this.group.map(() => 0);
    for (let at = 0; at < this.layout.messages; at++) this.addPart(signatures, state, at, 1);
    for (let at = this.layout.messages; at < state.length; at++) this.addMentions(signatures, this.mentionsOf('messages', state[at]), 5, 1);
    return signatures;
  }

  /** signaturesOf(state), from the parent's (cached for the last parent): only the parts that differ are hashed. */
  private signaturesFrom(parent: readonly number[], state: readonly number[]): number[] {
    if (this.parent !== parent) {
      this.parent = parent;
      this.parentSignatures = this.signaturesOf(parent);
    }
    const signatures = this.parentSignatures.slice();
    for (let at = 0; at < this.layout.messages; at++) {
      if (parent[at] === state[at]) continue;
      this.addPart(signatures, parent, at, -1);
      this.addPart(signatures, state, at, 1);
    }
    // The message lists are sorted: walk both, adding what is new and taking out what is gone.
    let i = this.layout.messages;
    let j = i;
    while (i < parent.length || j < state.length) {
      if (j >= state.length || (i < parent.length && parent[i] < state[j])) this.addMentions(signatures, this.mentionsOf('messages', parent[i++]), 5, -1);
      else if (i >= parent.length || state[j] < parent[i]) this.addMentions(signatures, this.mentionsOf('messages', state[j++]), 5, 1);
      else {
        i++;
        j++;
      }
    }
    return signatures;
  }

  /** Adds (sign 1) or takes out (-1) the part of the signatures owed to position `at` of the state's fixed part. */
  private addPart(signatures: number[], state: readonly number[], at: number, sign: number): void {
    const { layout } = this;
    const value = state[at];
    if (at === layout.ghost) return this.addMentions(signatures, this.mentionsOf('ghosts', value), 4, sign);
    if (at === layout.crashesLeft) return;
    const i = at % layout.nodes;
    const member = this.memberAt[i];
    if (at < layout.nodes) {
      if (member >= 0) signatures[member] = (signatures[member] + sign * mix(this.blankHash('states', value), 1)) | 0;
      // A member's own state mentioning members has role 6 wherever it sits; another node's, its own.
      return this.addMentions(signatures, this.mentionsOf('states', value), member >= 0 ? 6 : 16 + i, sign);
    }
    if (at < 2 * layout.nodes) {
      if (member >= 0) signatures[member] = (signatures[member] + sign * mix(this.blankHash('stores', value), 2)) | 0;
      return this.addMentions(signatures, this.mentionsOf('stores', value), member >= 0 ? 7 : 1024 + i, sign);
    }
    if (member >= 0) signatures[member] = (signatures[member] + sign * mix(value, 3)) | 0;
  }

  private addMentions(signatures: number[], mentions: readonly number[], role: number, sign: number): void {
    for (let k = 0; k < mentions.length; k += 2) signatures[mentions[k]] = (signatures[mentions[k]] + sign * mix(mentions[k + 1], role)) | 0;
  }

  /** The renamings (indexes into `permutations`) that put the members in signature order, ties in every order. */
  private candidates(signatures: readonly number[]): number[] {
    // Members by signature (an insertion sort: groups are small), and whether any two tie.
    const order = this.order;
    let ties = false;
    for (let k = 0; k < signatures.length; k++) {
      let at = k;
      while (at > 0 && signatures[order[at - 1]] > signatures[k]) {
        order[at] = order[at - 1];
        at--;
      }
      if (at > 0 && signatures[order[at - 1]] === signatures[k]) ties = true;
      order[at] = k;
    }
    if (!ties) return [this.byPlacement.get(placementCode(order)) as number];
    let orders: number[][] = [[]];
    for (let start = 0; start < order.length; ) {
      let end = start + 1;
      while (end < order.length && signatures[order[end]] === signatures[order[start]]) end++;
      const block = order.slice(start, end);
      const blockOrders = permutationsOf(block);
      orders = orders.flatMap((prefix) => blockOrders.map((b) => prefix.concat(b)));
      start = end;
    }
    // orders[c][position] = the member placed at `position`: the renaming sends its node to the group's node at `position`.
    return orders.map((placed) => this.byPlacement.get(placementCode(placed)) as number);
  }

  /** Hash of a node state or store with every member id blanked to "*" (cached). */
  private blankHash(table: 'states' | 'stores', id: number): number {
    const cache = this.blankCache[table];
    let h = cache[id];
    if (h === undefined) h = cache[id] = fnv1a32(canonicalJson(renameData(JSON.parse(this.runner[table].keys[id]), this.blankAll)));
    return h;
  }

  /** [member, hash, member, hash, ...] for each member a table entry mentions, seen from that member (cached). */
  private mentionsOf(table: 'states' | 'stores' | 'ghosts' | 'messages', id: number): number[] {
    const cache = this.mentionCache[table];
    let mentions = cache[id];
    if (mentions === undefined) {
      mentions = [];
      const text = this.runner[table].keys[id];
      const value = JSON.parse(text);
      for (let k = 0; k < this.group.length; k++) {
        if (!text.includes(JSON.stringify(this.names[k]))) continue;
        mentions.push(k, fnv1a32(canonicalJson(renameData(value, this.blankFrom[k]))));
      }
      cache[id] = mentions;
    }
    return mentions;
  }

  /** `state` under renaming p: node i's parts move to slot map[i], every id is renamed, messages sorted again. */
  private renamed(state: readonly number[], p: number): number[] {
    const { layout, runner } = this;
    const map = this.permutations[p];
    const table = this.tables[p];
    const out = this.scratch;
    out.length = state.length;
    for (let i = 0; i < layout.nodes; i++) {
      const j = map[i];
      out[layout.state(j)] = (table.states[state[layout.state(i)]] ??= this.renameIn(runner.states.keys[state[layout.state(i)]], p, (text) => runner.states.id(text, () => null)));
      out[layout.store(j)] = (table.stores[state[layout.store(i)]] ??= this.renameIn(runner.stores.keys[state[layout.store(i)]], p, (text, value) => runner.stores.id(text, () => value as Record<string, unknown>)));
      out[layout.budget(j)] = state[layout.budget(i)];
    }
    out[layout.crashesLeft] = state[layout.crashesLeft];
    const ghost = state[layout.ghost];
    out[layout.ghost] = table.ghosts[ghost] ??= this.renameIn(runner.ghosts.keys[ghost], p, (text, value) => runner.ghosts.id(text, () => value as G));
    const start = layout.messages;
    const count = state.length - start;
    if (this.sortScratch.length < count) this.sortScratch = new Float64Array(2 * count);
    const sorted = this.sortScratch.subarray(0, count);
    for (let k = 0; k < count; k++) {
      const m = state[start + k];
      sorted[k] = table.messages[m] ??= this.renameMessage(m, p);
    }
    sorted.sort(); // a typed array sorts numerically, natively
    for (let k = 0; k < count; k++) out[start + k] = sorted[k];
    return out;
  }

  private renameMessage(message: number, p: number): number {
    const { from, to, msg } = this.runner.messages.values[message];
    const rename = this.renames[p];
    return this.runner.messageId(rename.get(from) ?? from, rename.get(to) ?? to, renameData(msg, rename));
  }

  /** Renames the plain data behind a canonical JSON text and interns the result with `intern`. */
  private renameIn(text: string, p: number, intern: (text: string, value: unknown) => number): number {
    const value = renameData(JSON.parse(text), this.renames[p]);
    return intern(canonicalJson(value), value);
  }
}

/** A deep copy of plain data with every string of `rename` renamed (object keys too); arrays of such ids sorted. */
function renameData(value: unknown, rename: Map<string, string>): unknown {
  if (typeof value === 'string') return rename.get(value) ?? value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = value.map((v) => renameData(v, rename));
    if (out.length > 1 && value.every((v) => typeof v === 'string' && rename.has(v))) (out as string[]).sort();
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) out[rename.get(key) ?? key] = renameData(v, rename);
  return out;
}

/** Every ordering of `items`, the given order first. */
function permutationsOf<V>(items: readonly V[]): V[][] {
  if (items.length <= 1) return [items.slice()];
  const out: V[][] = [];
  items.forEach((first, i) => {
    for (const rest of permutationsOf([...items.slice(0, i), ...items.slice(i + 1)])) out.push([first, ...rest]);
  });
  return out;
}

/** Mixes a 32-bit value with a role number, so that the same hash in two roles adds up differently. */
function mix(value: number, role: number): number {
  let h = Math.imul(value ^ Math.imul(role, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}


/** A placement (member at each slot) as one number, base 64. */
function placementCode(placed: readonly number[]): number {
  let code = 0;
  for (let k = placed.length - 1; k >= 0; k--) code = code * 64 + placed[k];
  return code;
}
