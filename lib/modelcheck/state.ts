import { NodeId } from '../core';
import type { ModelState } from './explore';
import { NodeRunner } from './runner';

/**
 * A global state of the search as a list of numbers (ids from the NodeRunner's tables):
 *
 *   [ state of node 0..n-1 | store of node 0..n-1 | timer budget of node 0..n-1 |
 *     crashes left | ghost | message, message, ... (sorted) ]
 *
 * and, for the visited set, as a string with one UTF-16 code unit per number (numbers from
 * 0xFFFF up take three). That string is the state's canonical key: equal states give equal
 * strings, with no hashing of JSON, and it decodes back to the list, so the frontier keeps
 * nothing else. A few dozen code units a state keep millions of states in memory.
 */
export class Layout {
  constructor(readonly nodes: number) {}
  state(i: number): number {
    return i;
  }
  store(i: number): number {
    return this.nodes + i;
  }
  budget(i: number): number {
    return 2 * this.nodes + i;
  }
  get crashesLeft(): number {
    return 3 * this.nodes;
  }
  get ghost(): number {
    return 3 * this.nodes + 1;
  }
  /** Where the messages start. */
  get messages(): number {
    return 3 * this.nodes + 2;
  }
}

const ESCAPE = 0xffff;
let units = new Uint16Array(1024);
const utf16 = new TextDecoder('utf-16le');

/** The canonical key of a packed state. */
export function encodeState(state: readonly number[]): string {
  if (units.length < 3 * state.length) units = new Uint16Array(6 * state.length);
  let n = 0;
  for (let k = 0; k < state.length; k++) {
    const v = state[k];
    if (v < ESCAPE) units[n++] = v;
    else {
      units[n++] = ESCAPE;
      units[n++] = v >>> 16;
      units[n++] = v & 0xffff;
    }
  }
  return utf16.decode(units.subarray(0, n));
}

/** The packed state of a key (the inverse of encodeState). */
export function decodeState(key: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === ESCAPE) {
      out.push(key.charCodeAt(i + 1) * 0x10000 + key.charCodeAt(i + 2));
      i += 2;
    } else {
      out.push(c);
    }
  }
  return out;
}

/** A packed state seen as the plain data of `ModelState`, each part built when first read. */
export class StateView<G> implements ModelState<G> {
  constructor(
    private readonly runner: NodeRunner<unknown, unknown, G>,
    private readonly layout: Layout,
    private readonly packed: readonly number[],
  ) {}

  get ghost(): G {
    return this.runner.ghosts.values[this.packed[this.layout.ghost]];
  }
  get ghostKey(): string {
    return this.runner.ghosts.keys[this.packed[this.layout.ghost]];
  }
  get crashesLeft(): number {
    return this.packed[this.layout.crashesLeft];
  }
  get nodes(): Record<NodeId, string> {
    return this.perNode((i) => this.runner.states.keys[this.packed[this.layout.state(i)]]);
  }
  get stores(): Record<NodeId, string> {
    return this.perNode((i) => this.runner.stores.keys[this.packed[this.layout.store(i)]]);
  }
  get budgets(): Record<NodeId, number> {
    return this.perNode((i) => this.packed[this.layout.budget(i)]);
  }
  get inFlight(): string[] {
    return this.packed
      .slice(this.layout.messages)
      .map((m) => this.runner.messages.keys[m])
      .sort();
  }

  private perNode<V>(value: (i: number) => V): Record<NodeId, V> {
    const out: Record<NodeId, V> = {};
    this.runner.spec.nodes.forEach((id, i) => (out[id] = value(i)));
    return out;
  }
}
