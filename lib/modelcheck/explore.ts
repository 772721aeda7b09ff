import { ConfigError, NodeId, TraceEvent, requireInteger } from '../core';
import { ProtocolNode } from '../sim/node';
import { replay } from './replay';
import { NodeRunner } from './runner';
import { StateView, decodeState, encodeState } from './state';
import { Successors } from './successors';
import { StepOrder } from './partial-order';
import { Symmetry } from './symmetry';

/**
 * A bounded explicit-state model checker for protocol nodes (DSLabs' search tests, TLC's
 * breadth-first search). A state is every node's plain-data `state` and durable store, the
 * network, the budgets of timer firings and crashes left, and a ghost record the invariant
 * needs. From each state every enabled step is tried: deliver a message, fire a node's timer
 * (each node has a bounded number of firings: retries), crash a node and restart it from
 * what it persisted, or crash it in the middle of a handler. Breadth-first with a visited
 * set, so the first counterexample found is a shortest one. Node code runs unchanged: it is
 * re-instantiated around a copy of its state and driven through a Context that records its
 * effects (see runner.ts); each distinct local step runs once and is then reused by number.
 */

/** A node the model checker can snapshot: all of its volatile state is the plain-data `state` field. */
export interface ModelNode<M, T> extends ProtocolNode<M, T> {
  state: unknown;
}

/** What to explore: the nodes, how to make them, which timers may fire, what may crash, and the invariant. */
export interface ModelSpec<M, T, G> {
  /** Node ids, in the order their `init` runs. */
  nodes: readonly NodeId[];
  /** Makes node `id` around `state` (undefined: a fresh node, whose `init` will run). */
  instantiate(id: NodeId, state: unknown | undefined): ModelNode<M, T>;
  /** Timers that may fire at this node now (e.g. a proposer's Retry); [] for none. */
  timers(id: NodeId, node: ModelNode<M, T>): T[];
  /** How many timer firings each node gets in a whole run (missing: 0). */
  timerBudget: Readonly<Record<NodeId, number>>;
  /**
   * Optional: nodes that are interchangeable (renaming them maps runs to runs), for symmetry
   * reduction; see symmetry.ts for what that requires. Default none.
   */
  symmetric?: readonly NodeId[];
  /** Nodes that may crash (volatile state lost; restart from what they stored with ctx.persist). Default none. */
  crashable?: readonly NodeId[];
  /** How many crashes in a whole run, over all crashable nodes. Default 0. */
  crashes?: number;
  /**
   * Optional, and a promise: true only when node `id` ignores `msg` from `from` in its current
   * state and in every state it can ever reach from it (a reply for a ballot it has left
   * behind). The checker then forgets the message, in both network models: delivering it
   * could only ever be a no-op, so forgetting it loses no behaviour, and states that differ
   * only in such dead messages become one. Node code decides what it ignores; this hook only
   * says that it will keep ignoring it. Default: nothing is obsolete.
   */
  obsolete?(id: NodeId, node: ModelNode<M, T>, from: NodeId, msg: M): boolean;
  /**
   * Optional: a node state in a standard form, for a state that behaves exactly as this one in
   * every future (the same steps, effects and notes): e.g. a counter the model never reads.
   * States that differ only there become one. Default: states as they are.
   */
  normalize?(id: NodeId, state: unknown): unknown;
  /** The ghost state at the start: what the invariant needs that no node keeps (history). */
  ghost: G;
  /** Folds an annotation into the ghost (pure: return a new ghost, or the same object when nothing changed). */
  observe(ghost: G, node: NodeId, text: string, data: unknown): G;
  /** null while the invariant holds; else a sentence saying what broke. */
  invariant(state: ModelState<G>): string | null;
  /**
   * Optional: true when folding in notes of different nodes in either order gives the same
   * ghost (it records a set of facts, as the Paxos ghost does). It lets the search skip
   * orders of independent steps (ExploreOptions.partialOrder). Default false.
   */
  notesCommute?: boolean;
  /**
   * Optional: a fuller sentence for a counterexample, from its trace (e.g. which acceptors
   * accepted which ballot), when the ghost keeps too little history to say it. Default: the
   * invariant's sentence.
   */
  explain?(trace: readonly TraceEvent[], violation: string): string;
}

/** One state of the model, as the invariant sees it (plain data; built on demand). */
export interface ModelState<G> {
  /** Each node's `state`, as canonical JSON. */
  nodes: Record<NodeId, string>;
  /** Each node's durable store ({ key: value }), as canonical JSON. */
  stores: Record<NodeId, string>;
  /**
   * The network, each message as canonical JSON of { from, msg, to }, sorted. With network
   * 'multiset': the messages in flight, one entry per copy. With 'set': every message sent
   * so far (each may still be delivered, again).
   */
  inFlight: string[];
  /** Timer firings left, per node. */
  budgets: Record<NodeId, number>;
  /** Crashes left. */
  crashesLeft: number;
  ghost: G;
  /** canonicalJson(ghost). */
  ghostKey: string;
}

/** One step of a run. */
export type ModelStep =
  | {
      kind: 'deliver';
      from: NodeId;
      to: NodeId;
      msg: unknown;
      /** Set when the receiver crashed in the middle of the handler: how many of its effects (sends, persists, notes) happened. It then restarted. */
      crashAfterEffects?: number;
    }
  | { kind: 'drop'; from: NodeId; to: NodeId; msg: unknown }
  | { kind: 'timer'; node: NodeId; timer: unknown }
  /** The node crashed (volatile state lost) and restarted from its durable store (`init` ran again). */
  | { kind: 'crash'; node: NodeId };

/**
 * How the network is modelled.
 *
 * - 'set' (default): as in Lamport's TLA+ specification of Paxos, every message ever sent is
 *   kept in a set that only grows, and any of them may be delivered at any time, any number
 *   of times. That covers every delivery order, loss (a message never delivered),
 *   duplication and arbitrary delay at once, and it is far smaller than 'multiset': a state
 *   no longer says which copies are still in flight. Deliveries that change nothing (a
 *   duplicate the node ignores) are skipped. The right choice for safety properties.
 * - 'multiset': the messages in flight, each copy once; delivering one removes it. `loss`
 *   adds a step that loses a message, `duplication` keeps a delivered message in flight.
 *   Use it to ask what happens when messages arrive at most once.
 */
export type NetworkModel = 'set' | 'multiset';

export interface ExploreOptions {
  /** See NetworkModel. Default 'set'. */
  network?: NetworkModel;
  /** 'multiset' only: messages may be lost (a 'drop' step for each). Default true. */
  loss?: boolean;
  /** 'multiset' only: messages may be delivered more than once (delivery leaves them in flight). Default false. */
  duplication?: boolean;
  /** Stop after this many distinct states (the result then says complete: false). Default 5,000,000. */
  maxStates?: number;
  /** Do not expand states deeper than this. Default Infinity. */
  maxDepth?: number;
  /**
   * Skip redundant orders of independent steps (see partial-order.ts): every reachable state
   * is still visited, at its breadth-first depth, so verdicts, state counts and shortest
   * counterexamples are the same; only fewer transitions are computed. Used when the spec
   * says `notesCommute`. Default true.
   */
  partialOrder?: boolean;
  /**
   * A clock in milliseconds to time the search with, e.g. `() => performance.now()`. lib/ code
   * reads no real clock itself (the determinism lint); without one, timeMs is null.
   */
  clock?: () => number;
}

/** What a search found: the figures, and a shortest counterexample if the invariant broke. */
export interface ExploreResult {
  ok: boolean;
  /** True when every reachable state was explored (no maxStates or maxDepth cut-off). */
  complete: boolean;
  /** Distinct states found (the initial state included). */
  statesExplored: number;
  /** Steps that led to a different state (new or already seen); steps that change nothing are not counted. */
  transitions: number;
  /** The deepest level of the breadth-first search reached. */
  depth: number;
  /** Wall-clock time of the search, when a clock was given. */
  timeMs: number | null;
  /** statesExplored per second of timeMs, when a clock was given. */
  statesPerSecond: number | null;
  /** Distinct local steps (one handler run of one node) the search ran real node code for; everything else was reused. */
  handlerRuns: number;
  counterexample?: Counterexample;
}

export interface Counterexample {
  /** The invariant's sentence for the bad state. */
  violation: string;
  /** The steps from the initial state, shortest possible. */
  steps: ModelStep[];
  /**
   * The same run as trace events (start, send, deliver, drop, timer, crash, restart, persist,
   * annotate; step i at i ms, a restart half a millisecond after its crash), for the
   * space-time diagram and the trace checkers.
   */
  trace: TraceEvent[];
  /** The steps, one line each. */
  description: string[];
}

/**
 * Explores every order of message delivery (and loss, duplication, crashes) of a model,
 * breadth first, and checks the invariant in every state.
 *
 * @example
 *   const result = explore(paxosModel({ proposers: ['x', 'y'] }), { clock: () => performance.now() });
 *   result.ok; result.statesExplored; result.counterexample?.description;
 */
export function explore<M, T, G>(spec: ModelSpec<M, T, G>, options: ExploreOptions = {}): ExploreResult {
  const started = options.clock?.() ?? 0;
  const network = options.network ?? 'set';
  if (network !== 'set' && network !== 'multiset') throw new ConfigError('network', "'set' or 'multiset'", network);
  const maxStates = options.maxStates ?? 5_000_000;
  const maxDepth = options.maxDepth ?? Infinity;
  requireInteger('crashes', spec.crashes ?? 0, 0);
  const runner = new NodeRunner(spec);
  const model = new Successors(runner, network, options.loss ?? true, options.duplication ?? false);

  const initial = model.initial();
  const initialKey = encodeState(initial);
  const symmetry = (spec.symmetric?.length ?? 0) > 1 ? new Symmetry(runner, model.layout, spec.symmetric as NodeId[]) : null;
  const order = (options.partialOrder ?? true) && spec.notesCommute === true ? new StepOrder(runner, model.layout.messages) : null;
  const visited = new Set<string>([symmetry ? symmetry.canonicalKey(initial, initialKey) : initialKey]);
  const parents: number[] = [-1];
  const stepsTo: number[] = [0];
  let frontier: string[] = [initialKey];
  let frontierIds: number[] = [0];
  /** Per frontier state: its sleeping steps (partial-order.ts); null for none. */
  let frontierAsleep: (number[] | null)[] = [null];
  let depth = 0;
  let transitions = 0;
  let complete = true;
  const finish = (violation: string | null, index: number): ExploreResult => {
    const timeMs = options.clock ? options.clock() - started : null;
    const result: ExploreResult = {
      ok: violation === null,
      complete,
      statesExplored: visited.size,
      transitions,
      depth,
      timeMs,
      statesPerSecond: timeMs === null ? null : Math.round((visited.size / Math.max(timeMs, 1e-3)) * 1000),
      handlerRuns: runner.handlerRuns,
    };
    if (violation !== null) {
      const steps: number[] = [];
      for (let i = index; parents[i] !== -1; i = parents[i]) steps.push(stepsTo[i]);
      steps.reverse();
      const run = replay(model, steps);
      result.counterexample = { violation: spec.explain?.(run.trace, violation) ?? violation, ...run };
    }
    return result;
  };
  const bad = spec.invariant(new StateView(runner, model.layout, initial));
  if (bad !== null) return finish(bad, 0);

  const steps: number[] = [];
  /**
   * The successors seen while expanding one level, by plain key: the index of the next-level
   * state they are (to note one more arrival), or -1 (seen before, or a renaming of a
   * next-level state). Most successors close a diamond (a then b, b then a): recognising them
   * here is cheaper than renaming them for the symmetric key.
   */
  const levelSeen = new Map<string, number>();
  /** With symmetry: next-level states by canonical key. */
  const levelCanonical = new Map<string, number>();
  while (frontier.length > 0 && depth < maxDepth) {
    const next: string[] = [];
    const nextIds: number[] = [];
    const nextAsleep: (number[] | null)[] = [];
    for (let f = 0; f < frontier.length; f++) {
      const key = frontier[f];
      const state = decodeState(key);
      const asleep = frontierAsleep[f];
      const sleeping = asleep && asleep.length > 0 ? asleep : null;
      steps.length = 0;
      model.enabled(state, steps);
      for (const step of steps) {
        if (sleeping !== null && sleeping.includes(step)) continue;
        const successor = model.apply(state, step);
        if (successor === null) continue; // changes nothing
        const successorKey = encodeState(successor);
        if (successorKey === key) continue;
        transitions++;
        const seen = levelSeen.get(successorKey);
        if (seen !== undefined) {
          const known = seen >= 0 ? nextAsleep[seen] : null;
          if (order && known && known.length > 0) nextAsleep[seen] = order.intersect(known, step, state, sleeping);
          continue;
        }
        const seenKey = symmetry ? symmetry.canonicalKey(successor, successorKey, state) : successorKey;
        const size = visited.size;
        if (visited.add(seenKey).size === size) {
          levelSeen.set(successorKey, -1);
          // A renaming of a state of the next level: its steps are not comparable, so nothing sleeps there.
          const renamed = symmetry ? levelCanonical.get(seenKey) : undefined;
          if (renamed !== undefined) nextAsleep[renamed] = null;
          continue;
        }
        parents.push(frontierIds[f]);
        stepsTo.push(step);
        const id = parents.length - 1;
        const violation = spec.invariant(new StateView(runner, model.layout, successor));
        if (violation !== null) {
          depth++;
          return finish(violation, id);
        }
        if (visited.size >= maxStates) {
          complete = false;
          depth++;
          return finish(null, id);
        }
        levelSeen.set(successorKey, next.length);
        if (symmetry) levelCanonical.set(seenKey, next.length);
        next.push(successorKey);
        nextIds.push(id);
        if (order) {
          const enabled: number[] = [];
          model.enabled(successor, enabled);
          nextAsleep.push(order.asleepAfter(step, state, sleeping, enabled));
        } else {
          nextAsleep.push(null);
        }
      }
    }
    frontier = next;
    frontierIds = nextIds;
    frontierAsleep = nextAsleep;
    levelSeen.clear();
    levelCanonical.clear();
    if (next.length > 0) depth++;
  }
  if (frontier.length > 0) complete = false;
  return finish(null, 0);
}
