import { NodeId, Random, TraceEvent, canonicalJson, copyData } from '../core';
import { Context, ProtocolNode } from '../sim/node';

/**
 * A bounded explicit-state model checker for protocol nodes (DSLabs' search tests, TLC's
 * breadth-first search). A state is every node's plain-data `state` plus the multiset of
 * messages in flight (and a ghost record the invariant needs). From each state every enabled
 * step is tried: deliver any message in flight, lose it, or fire a node's timer (each node has
 * a bounded number of timer firings: retries). Breadth-first with a visited set of canonical
 * state hashes (`stableHash` of `canonicalJson`), so the first counterexample found is a
 * shortest one. Node code runs unchanged: it is re-instantiated around a cloned state and
 * driven through a Context that records its sends; timers' delays, `now` and `rng` do not
 * matter here (any delivery order is explored).
 */

/** A node the model checker can snapshot: all of its state is the plain-data `state` field. */
export interface ModelNode<M, T> extends ProtocolNode<M, T> {
  state: unknown;
}

/** What to explore: the nodes, how to make them, which timers may fire, and the invariant. */
export interface ModelSpec<M, T, G> {
  /** Node ids, in the order their `init` runs. */
  nodes: readonly NodeId[];
  /** Makes node `id` around `state` (undefined: a fresh node, whose `init` will run). */
  instantiate(id: NodeId, state: unknown | undefined): ModelNode<M, T>;
  /** Timers that may fire at this node now (e.g. a proposer's Retry); [] for none. */
  timers(id: NodeId, node: ModelNode<M, T>): T[];
  /** How many timer firings each node gets in a whole run (missing: 0). */
  timerBudget: Readonly<Record<NodeId, number>>;
  /** The ghost state at the start: what the invariant needs that no node keeps (history). */
  ghost: G;
  /** Folds an annotation into the ghost (pure: return a new ghost or the same one). */
  observe(ghost: G, node: NodeId, text: string, data: unknown): G;
  /** null while the invariant holds; else a sentence saying what broke. */
  invariant(state: ModelState<G>): string | null;
}

/** One state of the model: plain data, hashed canonically. */
export interface ModelState<G> {
  /** Each node's `state`, as canonical JSON (parsed again to re-instantiate the node: a deep copy). */
  nodes: Record<NodeId, string>;
  /** Messages in flight, each as canonical JSON of { from, to, msg }, sorted (a multiset). */
  inFlight: string[];
  /** Timer firings left, per node. */
  budgets: Record<NodeId, number>;
  ghost: G;
  /** canonicalJson(ghost), kept with it. */
  ghostKey: string;
}

/** One step of a run. */
export type ModelStep =
  | { kind: 'deliver' | 'drop'; from: NodeId; to: NodeId; msg: unknown }
  | { kind: 'timer'; node: NodeId; timer: unknown };

export interface ExploreOptions {
  /** Messages may be lost (a 'drop' step for each). Default true. */
  loss?: boolean;
  /** Messages may be delivered more than once (delivery leaves them in flight). Default false. */
  duplication?: boolean;
  /** Stop after this many distinct states (the result then says complete: false). Default 2,000,000. */
  maxStates?: number;
  /** Do not expand states deeper than this. Default Infinity. */
  maxDepth?: number;
  /**
   * A clock in milliseconds to time the search with, e.g. `() => performance.now()`. lib/ code
   * reads no real clock itself (the determinism lint); without one, timeMs is null.
   */
  clock?: () => number;
}

/** What a search found: the figures, and a shortest counterexample if the invariant broke. */
export interface ExploreResult {
  ok: boolean;
  /** True when every reachable state within maxDepth was explored (no maxStates cut-off). */
  complete: boolean;
  statesExplored: number;
  transitions: number;
  /** The deepest level of the breadth-first search reached. */
  depth: number;
  /** Wall-clock time of the search, when a clock was given. */
  timeMs: number | null;
  counterexample?: Counterexample;
}

export interface Counterexample {
  /** The invariant's sentence for the bad state. */
  violation: string;
  /** The steps from the initial state, shortest possible. */
  steps: ModelStep[];
  /** The same run as trace events (start, send, deliver, drop, timer, annotate; step i at i ms), for the space-time diagram and the checkers. */
  trace: TraceEvent[];
  /** The steps, one line each. */
  description: string[];
}

interface Hooks {
  send(from: NodeId, to: NodeId, key: string, msg: unknown): void;
  annotate(node: NodeId, text: string, data: unknown): void;
}

const modelRandom = new Random('modelcheck');

/**
 * Explores every order of delivery, loss (and, if asked, duplication) of a model, breadth
 * first, and checks the invariant in every state.
 *
 * @example
 *   const result = explore(paxosModel({ proposers: ['x', 'y'] }));
 *   result.ok; result.statesExplored; result.counterexample?.description;
 */
export function explore<M, T, G>(spec: ModelSpec<M, T, G>, options: ExploreOptions = {}): ExploreResult {
  const started = options.clock?.() ?? 0;
  const loss = options.loss ?? true;
  const duplication = options.duplication ?? false;
  const maxStates = options.maxStates ?? 2_000_000;
  const maxDepth = options.maxDepth ?? Infinity;

  const initial = initialState(spec);
  const visited = new Set<string>([hashState(initial)]);
  const parents: number[] = [-1];
  const stepsTo: (ModelStep | null)[] = [null];
  let frontier: { state: ModelState<G>; index: number }[] = [{ state: initial, index: 0 }];
  let depth = 0;
  let transitions = 0;
  let complete = true;
  const finish = (violation: string | null, index: number): ExploreResult => {
    const result: ExploreResult = { ok: violation === null, complete, statesExplored: visited.size, transitions, depth, timeMs: options.clock ? options.clock() - started : null };
    if (violation !== null) {
      const steps: ModelStep[] = [];
      for (let i = index; parents[i] !== -1; i = parents[i]) steps.push(stepsTo[i] as ModelStep);
      steps.reverse();
      result.counterexample = { violation, steps, ...replay(spec, steps, duplication) };
    }
    return result;
  };
  const bad = spec.invariant(initial);
  if (bad !== null) return finish(bad, 0);

  while (frontier.length > 0 && depth < maxDepth) {
    const next: { state: ModelState<G>; index: number }[] = [];
    for (const { state, index } of frontier) {
      for (const step of enabledSteps(spec, state, loss)) {
        const successor = apply(spec, state, step, duplication, null);
        transitions++;
        const hash = hashState(successor);
        if (visited.has(hash)) continue;
        visited.add(hash);
        parents.push(index);
        stepsTo.push(step);
        const id = parents.length - 1;
        const violation = spec.invariant(successor);
        if (violation !== null) {
          depth++;
          return finish(violation, id);
        }
        if (visited.size >= maxStates) {
          complete = false;
          depth++;
          return finish(null, id);
        }
        next.push({ state: successor, index: id });
      }
    }
    frontier = next;
    if (next.length > 0) depth++;
  }
  if (frontier.length > 0) complete = false;
  return finish(null, 0);
}

/** Parsed deliver steps by message key: a model has few distinct messages, and parsing is costly. */
const deliverSteps = new Map<string, ModelStep & { kind: 'deliver' }>();

/** The steps enabled in a state: deliver or drop each distinct message, fire each timer with budget left. */
export function enabledSteps<M, T, G>(spec: ModelSpec<M, T, G>, state: ModelState<G>, loss = true): ModelStep[] {
  const steps: ModelStep[] = [];
  let previous: string | null = null;
  for (const key of state.inFlight) {
    if (key === previous) continue; // identical copies: one step does for all
    previous = key;
    let deliver = deliverSteps.get(key);
    if (deliver === undefined) {
      deliver = { kind: 'deliver', ...(JSON.parse(key) as { from: NodeId; to: NodeId; msg: unknown }) };
      deliverSteps.set(key, deliver);
    }
    steps.push(deliver);
    if (loss) steps.push({ ...deliver, kind: 'drop' });
  }
  for (const id of spec.nodes) {
    if ((state.budgets[id] ?? 0) <= 0) continue;
    const node = spec.instantiate(id, JSON.parse(state.nodes[id]));
    for (const timer of spec.timers(id, node)) steps.push({ kind: 'timer', node: id, timer });
  }
  return steps;
}

/** The state after `step` (the input is not changed). */
export function apply<M, T, G>(spec: ModelSpec<M, T, G>, state: ModelState<G>, step: ModelStep, duplication: boolean, hooks: Hooks | null): ModelState<G> {
  const out: ModelState<G> = { nodes: { ...state.nodes }, inFlight: state.inFlight.slice(), budgets: state.budgets, ghost: state.ghost, ghostKey: state.ghostKey };
  if (step.kind === 'drop' || step.kind === 'deliver') {
    const key = envelopeKey(step.from, step.to, step.msg);
    if (step.kind === 'drop' || !duplication) {
      const at = out.inFlight.indexOf(key);
      if (at < 0) throw new Error(`model checker: ${step.kind} of a message not in flight: ${key}`);
      out.inFlight.splice(at, 1);
    }
    if (step.kind === 'drop') return out;
    run(spec, out, step.to, hooks, duplication, (node, ctx) => node.onMessage(step.from, copyData(step.msg) as M, ctx));
  } else {
    const { node: acting, timer } = step as ModelStep & { kind: 'timer' };
    out.budgets = { ...state.budgets, [acting]: (state.budgets[acting] ?? 0) - 1 };
    run(spec, out, acting, hooks, duplication, (node, ctx) => node.onTimer(copyData(timer) as T, ctx));
  }
  if (out.ghost !== state.ghost) out.ghostKey = canonicalJson(out.ghost);
  out.inFlight.sort();
  return out;
}

function initialState<M, T, G>(spec: ModelSpec<M, T, G>, hooks: Hooks | null = null): ModelState<G> {
  const state: ModelState<G> = { nodes: {}, inFlight: [], budgets: { ...spec.timerBudget }, ghost: spec.ghost, ghostKey: '' };
  for (const id of spec.nodes) run(spec, state, id, hooks, false, (node, ctx) => node.init?.(ctx), true);
  state.ghostKey = canonicalJson(state.ghost);
  state.inFlight.sort();
  return state;
}

/** Runs one handler of node `id` against `state` (mutating `state`'s top-level fields only). */
function run<M, T, G>(
  spec: ModelSpec<M, T, G>,
  state: ModelState<G>,
  id: NodeId,
  hooks: Hooks | null,
  duplication: boolean,
  handler: (node: ModelNode<M, T>, ctx: Context<M, T>) => void,
  fresh = false,
): void {
  const node = spec.instantiate(id, fresh ? undefined : JSON.parse(state.nodes[id]));
  const send = (to: NodeId, msg: M) => {
    const key = envelopeKey(id, to, msg);
    if (!(duplication && state.inFlight.includes(key))) state.inFlight.push(key);
    hooks?.send(id, to, key, msg);
  };
  const ctx: Context<M, T> = {
    id,
    nodes: spec.nodes,
    rng: modelRandom,
    now: () => 0,
    send,
    broadcast: (msg, to) => {
      for (const peer of to ?? spec.nodes) if (peer !== id) send(peer, msg);
    },
    setTimer: () => 0,
    cancelTimer: () => undefined,
    persist: () => undefined,
    load: () => undefined,
    annotate: (text, data) => {
      state.ghost = spec.observe(state.ghost, id, text, data);
      hooks?.annotate(id, text, data);
    },
    invoke: () => {
      throw new Error('model checker: client operations are not modelled');
    },
    complete: () => {
      throw new Error('model checker: client operations are not modelled');
    },
  };
  handler(node, ctx);
  state.nodes[id] = canonicalJson(node.state);
}

function envelopeKey(from: NodeId, to: NodeId, msg: unknown): string {
  return canonicalJson({ from, to, msg });
}

/**
 * The state's identity: a 64-bit hash of its canonical parts (node states and the ghost are
 * already canonical JSON, the in-flight multiset is sorted). Two 32-bit multiply-xor hashes
 * (Math.imul, so the same on every machine) instead of lib/core's StableHash: this runs once
 * per transition, millions of times, and is several times faster.
 */
export function hashState<G>(state: ModelState<G>): string {
  let text = '';
  for (const id in state.nodes) text += state.nodes[id] + '\n';
  text += '|' + state.inFlight.join('\n') + '|' + state.ghostKey + '|';
  for (const id in state.budgets) text += state.budgets[id] + ',';
  return fastHash64(text);
}

/** A stable 64-bit hash of a string, as 16 hex digits (two independent 32-bit lanes). */
export function fastHash64(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** Runs the steps again from the start, recording trace events (step i at i ms) with message ids. */
function replay<M, T, G>(spec: ModelSpec<M, T, G>, steps: ModelStep[], duplication: boolean): { trace: TraceEvent[]; description: string[] } {
  const trace: TraceEvent[] = [];
  let timeMs = 0;
  let nextId = 1;
  const pending = new Map<string, { msgId: number; sentMs: number }[]>();
  const hooks: Hooks = {
    send: (from, to, key, msg) => {
      const msgId = nextId++;
      trace.push({ kind: 'send', timeMs, from, to, msgId, msg: copyData(msg) });
      const list = pending.get(key) ?? [];
      list.push({ msgId, sentMs: timeMs });
      pending.set(key, list);
    },
    annotate: (node, text, data) => trace.push({ kind: 'annotate', timeMs, node, text, data: copyData(data) }),
  };
  for (const node of spec.nodes) trace.push({ kind: 'start', timeMs: 0, node });
  let state = initialState(spec, hooks);
  const description: string[] = [];
  for (const step of steps) {
    timeMs++;
    if (step.kind === 'timer') {
      const timerStep = step;
      trace.push({ kind: 'timer', timeMs, node: timerStep.node, timer: copyData(timerStep.timer) });
      description.push(`${timeMs}. timer ${canonicalJson(timerStep.timer)} fires at ${timerStep.node}`);
    } else {
      const key = envelopeKey(step.from, step.to, step.msg);
      const list = pending.get(key) ?? [];
      const sent = (step.kind === 'drop' || !duplication ? list.shift() : list[0]) ?? { msgId: 0, sentMs: 0 };
      const base = { timeMs, from: step.from, to: step.to, msgId: sent.msgId, sentMs: sent.sentMs, msg: copyData(step.msg) };
      trace.push(step.kind === 'deliver' ? { kind: 'deliver', ...base } : { kind: 'drop', ...base, reason: 'loss' });
      description.push(`${timeMs}. ${step.kind === 'deliver' ? 'deliver' : 'lose'} ${step.from} -> ${step.to} ${canonicalJson(step.msg)}`);
    }
    state = apply(spec, state, step, duplication, hooks);
  }
  return { trace, description };
}
