import { ConfigError } from '../core';
import type { NetworkModel } from './explore';
import { NodeRunner, Outcome } from './runner';
import { Layout } from './state';

/** The kinds of packed steps (see `packStep`). */
export const enum StepKind {
  Deliver = 0,
  Drop = 1,
  Timer = 2,
  Crash = 3,
  /** Deliver, and the receiver crashes after cut `b - 1` of the handler's effects. */
  DeliverCrash = 4,
}

/** A step as one number (the search keeps one per state): kind, then a (message or node), then b (timer or cut + 1). */
export function packStep(kind: StepKind, a: number, b = 0): number {
  return kind + 8 * a + 0x1000000 * b;
}

export function unpackStep(step: number): { kind: StepKind; a: number; b: number } {
  const b = Math.floor(step / 0x1000000);
  const rest = step - b * 0x1000000;
  return { kind: (rest & 7) as StepKind, a: rest >>> 3, b };
}

/**
 * The transition relation over packed states (see state.ts): which steps are enabled, and
 * where each leads. Shared by the search and by the replay that turns a counterexample's
 * steps into a trace, so the two cannot disagree.
 */
export class Successors<M, T, G> {
  readonly layout: Layout;
  private readonly crashable: boolean[];

  constructor(
    readonly runner: NodeRunner<M, T, G>,
    readonly network: NetworkModel,
    readonly loss: boolean,
    readonly duplication: boolean,
  ) {
    const spec = runner.spec;
    this.layout = new Layout(spec.nodes.length);
    const crashable = new Set(spec.crashable ?? []);
    for (const id of crashable) if (!spec.nodes.includes(id)) throw new ConfigError('crashable', `node ids of the model (${spec.nodes.join(', ')})`, id);
    this.crashable = spec.nodes.map((id) => crashable.has(id));
  }

  /** The initial state: every node's `init` has run, in order, on an empty store. */
  initial(): number[] {
    const { runner, layout } = this;
    const spec = runner.spec;
    const state = new Array<number>(layout.messages).fill(0);
    let ghost = runner.ghostId(spec.ghost);
    const messages: number[] = [];
    for (let i = 0; i < spec.nodes.length; i++) {
      const out = runner.start(i, 0);
      state[layout.state(i)] = out.state;
      state[layout.store(i)] = out.store;
      state[layout.budget(i)] = spec.timerBudget[spec.nodes[i]] ?? 0;
      ghost = runner.observe(ghost, out.notes);
      this.send(messages, out.sends);
    }
    state[layout.crashesLeft] = spec.crashes ?? 0;
    state[layout.ghost] = ghost;
    return state.concat(messages);
  }

  /** Pushes the packed steps enabled in `state` onto `out`. */
  enabled(state: readonly number[], out: number[]): void {
    const { runner, layout } = this;
    const crashesLeft = state[layout.crashesLeft];
    let previous = -1;
    for (let k = layout.messages; k < state.length; k++) {
      const message = state[k];
      if (message === previous) continue; // identical copies: one step does for all
      previous = message;
      out.push(packStep(StepKind.Deliver, message));
      if (this.network === 'multiset' && this.loss) out.push(packStep(StepKind.Drop, message));
      const to = runner.messages.values[message].toIndex;
      if (crashesLeft > 0 && this.crashable[to]) {
        const outcome = runner.deliver(to, state[layout.state(to)], state[layout.store(to)], message);
        for (let c = 0; c < outcome.cuts.length; c++) if (!this.dominated(to, outcome, c, state[layout.ghost])) out.push(packStep(StepKind.DeliverCrash, message, c + 1));
      }
    }
    for (let i = 0; i < layout.nodes; i++) {
      if (state[layout.budget(i)] > 0) for (const timer of runner.timersAt(i, state[layout.state(i)])) out.push(packStep(StepKind.Timer, i, timer));
      if (crashesLeft > 0 && this.crashable[i]) out.push(packStep(StepKind.Crash, i));
    }
  }

  /**
   * True when crashing at cut c of `outcome` can only do less than finishing the handler:
   * all that the crash loses is sends (no persist, and no note that would change the ghost
   * `ghost`), and the node restarts into the very state and store the whole handler leaves
   * it in, sending nothing. The crash then only takes messages out of the network and
   * spends crash budget, and whatever can happen after it can happen after the whole
   * handler too (those messages need never arrive). This is the reference acceptor's case
   * (it persists, then replies), so crashing it costs no states.
   */
  private dominated(node: number, outcome: Outcome, c: number, ghost: number): boolean {
    const cut = outcome.cuts[c];
    for (let k = cut.effects; k < outcome.effects.length; k++) if (outcome.effects[k].kind === 'persist') return false;
    if (this.runner.observe(ghost, cut.notes) !== this.runner.observe(ghost, outcome.notes)) return false;
    const restart = this.runner.start(node, cut.store);
    return restart.state === outcome.state && restart.store === outcome.store && restart.sends.length === 0 && restart.notes.length === 0;
  }

  /** The state after `step`, or null when the step changes nothing (`state` is not changed). */
  apply(state: readonly number[], step: number): number[] | null {
    const { runner, layout } = this;
    const b = Math.floor(step / 0x1000000);
    const rest = step - b * 0x1000000;
    const kind = (rest & 7) as StepKind;
    const a = rest >>> 3;
    if (kind === StepKind.Timer) {
      const out = runner.fire(a, state[layout.state(a)], state[layout.store(a)], b);
      const next = this.withOutcome(state, a, out.state, out.store, out.notes, out.sends, -1);
      next[layout.budget(a)]--;
      return next;
    }
    if (kind === StepKind.Crash) {
      const out = runner.start(a, state[layout.store(a)]);
      if (out.state === state[layout.state(a)] && out.store === state[layout.store(a)] && this.unchangedBy(state, out.notes, out.sends, -1)) return null; // a crash that changes nothing spends no budget
      const next = this.withOutcome(state, a, out.state, out.store, out.notes, out.sends, -1);
      next[layout.crashesLeft]--;
      return next;
    }
    const message = a;
    const to = runner.messages.values[message].toIndex;
    const consumed = this.network === 'multiset' && (kind === StepKind.Drop || !this.duplication) ? message : -1;
    if (kind === StepKind.Drop) return this.withOutcome(state, to, state[layout.state(to)], state[layout.store(to)], [], [], consumed);
    const out = runner.deliver(to, state[layout.state(to)], state[layout.store(to)], message);
    if (kind === StepKind.Deliver) {
      if (consumed === -1 && out.state === state[layout.state(to)] && out.store === state[layout.store(to)] && this.unchangedBy(state, out.notes, out.sends, -1)) return null;
      return this.withOutcome(state, to, out.state, out.store, out.notes, out.sends, consumed);
    }
    // DeliverCrash: the effects up to the cut happen, then the receiver restarts from its store.
    const cut = out.cuts[b - 1];
    const restart = runner.start(to, cut.store);
    const next = this.withOutcome(state, to, restart.state, restart.store, cut.notes.concat(restart.notes), cut.sends.concat(restart.sends), consumed);
    next[layout.crashesLeft]--;
    return next;
  }

  /**
   * A copy of `state` with node `i`'s new state and store, the notes folded into the ghost,
   * one copy of `consumed` removed (-1: none) and `sends` merged into the sorted network;
   * messages that became obsolete for node i, or are obsolete on arrival, are left out.
   */
  private withOutcome(state: readonly number[], i: number, nodeState: number, store: number, notes: readonly number[], sends: readonly number[], consumed: number): number[] {
    const { layout, runner } = this;
    const start = layout.messages;
    const next = state.slice(0, start);
    next[layout.state(i)] = nodeState;
    next[layout.store(i)] = store;
    next[layout.ghost] = runner.observe(state[layout.ghost], notes);
    const envelopes = runner.messages.values;
    const unique = this.network === 'set' || this.duplication;
    const added = sends.length > 1 ? sends.slice().sort((x, y) => x - y) : sends;
    let j = 0;
    let last = -1;
    for (let k = start; k <= state.length; k++) {
      const m = k < state.length ? state[k] : Infinity;
      if (m === consumed) {
        consumed = -1;
        continue;
      }
      // New messages below m first (skipping copies in a set, and those dead on arrival).
      for (; j < added.length && (unique ? added[j] < m : added[j] <= m); j++) {
        const a = added[j];
        if ((unique && a === last) || runner.isObsolete(next[layout.state(envelopes[a].toIndex)], a)) continue;
        next.push(a);
        last = a;
      }
      if (k === state.length) break;
      if (unique && j < added.length && added[j] === m) j++;
      // Only node i changed: messages to other nodes were checked when they were added.
      if (envelopes[m].toIndex === i && runner.isObsolete(nodeState, m)) continue;
      next.push(m);
      last = m;
    }
    return next;
  }

  /** Adds `sends` to the sorted network: once each in a set (or a multiset with duplication), else a copy each. */
  send(messages: number[], sends: readonly number[]): void {
    const unique = this.network === 'set' || this.duplication;
    for (const m of sends) {
      let at = messages.length;
      while (at > 0 && messages[at - 1] > m) at--;
      if (unique && at > 0 && messages[at - 1] === m) continue;
      messages.splice(at, 0, m);
    }
  }

  /** True when the notes leave the ghost as it is and every message sent is already in the set. */
  private unchangedBy(state: readonly number[], notes: readonly number[], sends: readonly number[], consumed: number): boolean {
    const { layout } = this;
    if (consumed !== -1) return false;
    if (this.runner.observe(state[layout.ghost], notes) !== state[layout.ghost]) return false;
    if (sends.length === 0) return true;
    if (this.network === 'multiset' && !this.duplication) return false;
    for (const m of sends) {
      if (this.runner.isObsolete(state[layout.state(this.runner.messages.values[m].toIndex)], m)) continue;
      let found = false;
      for (let k = layout.messages; k < state.length && !found; k++) found = state[k] === m;
      if (!found) return false;
    }
    return true;
  }
}
