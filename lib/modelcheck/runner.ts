import { NodeId, Random, canonicalJson, copyData } from '../core';
import { Context } from '../sim/node';
import type { ModelSpec } from './explore';

/**
 * What one handler run of one node did, in order: the memoized unit of the model checker.
 *
 * A node is a deterministic function of (its state, its durable store, the input): the same
 * Prepare delivered to an acceptor in the same state gives the same reply in every one of
 * the thousands of global states where that happens. So each distinct local step runs the
 * real node code once (parse the state, re-instantiate the node, run the handler, serialise
 * the new state), and the search reuses the result by number. This, not the hashing, was
 * where the time went: the search before spent ~20 us per transition re-running handlers.
 */
export interface Outcome {
  /** The node's new state (an id in `NodeRunner.states`). */
  state: number;
  /** Its durable store afterwards (an id in `NodeRunner.stores`). */
  store: number;
  /** Messages sent, in order (ids in `NodeRunner.messages`). */
  sends: number[];
  /** Annotations made, in order (ids in `NodeRunner.notes`). */
  notes: number[];
  /** Every effect in the order the handler made it, for the trace. */
  effects: Effect[];
  /**
   * Where a crash may strike in the middle of this handler: between one send or persist and
   * the next (see cutsOf). A crash at a cut keeps the effects before it and loses the rest.
   */
  cuts: Cut[];
}

/** One effect of a handler, as the trace shows it. */
export type Effect = { kind: 'send'; message: number } | { kind: 'note'; note: number } | { kind: 'persist'; key: string; value: unknown };

/** A crash point inside a handler: the first `effects` effects happened, the rest did not. */
export interface Cut {
  effects: number;
  sends: number[];
  notes: number[];
  store: number;
}

/** A message as the model knows it: who sent it to whom, and the protocol's own data. */
export interface Envelope {
  from: NodeId;
  to: NodeId;
  /** Index of `to` in the spec's node list. */
  toIndex: number;
  /** Index of `from` in the spec's node list. */
  fromIndex: number;
  msg: unknown;
}

/** An annotation a node made (what the ghost state folds in). */
export interface Note {
  node: NodeId;
  text: string;
  data: unknown;
}

/** Numbers distinct strings in the order they are first seen, keeping a payload for each. */
export class Interner<V> {
  private readonly ids = new Map<string, number>();
  readonly keys: string[] = [];
  readonly values: V[] = [];

  id(key: string, make: () => V): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.ids.set(key, id);
      this.keys.push(key);
      this.values.push(make());
    }
    return id;
  }

  get size(): number {
    return this.keys.length;
  }
}

const enum Input {
  Message = 1,
  Timer = 2,
  Init = 3,
}

/**
 * Runs the nodes of a model, one handler at a time, around numbered states, and remembers
 * every result (see `Outcome`). Node states, durable stores, messages, timers, notes and
 * ghost states are all numbered (interned by canonical JSON), so that a global state of the
 * search is a short list of numbers.
 */
export class NodeRunner<M, T, G> {
  /** Node states by id: canonical JSON. */
  readonly states = new Interner<null>();
  /** Durable stores by id: canonical JSON of { key: value }; id 0 is the empty store. */
  readonly stores = new Interner<Record<string, unknown>>();
  readonly messages = new Interner<Envelope>();
  readonly timers = new Interner<T>();
  readonly notes = new Interner<Note>();
  readonly ghosts = new Interner<G>();
  /** How many handler runs missed the cache (ran real node code). */
  handlerRuns = 0;
  /** outcomes[state]: numeric key (see `cached`) -> outcome; `overflow` holds the rare keys too big for a number. */
  private readonly outcomes: Map<number, Outcome>[] = [];
  private readonly overflow = new Map<string, Outcome>();
  private readonly timersByState = new Map<string, number[]>();
  /** observed[ghost][note]: the ghost after the note. */
  private readonly observed: number[][] = [];
  /** dead[state][message]: 1 when obsolete, 0 when not, missing when not yet asked. */
  private readonly dead: number[][] = [];
  private readonly index = new Map<NodeId, number>();

  constructor(readonly spec: ModelSpec<M, T, G>) {
    spec.nodes.forEach((id, i) => this.index.set(id, i));
    this.stores.id('{}', () => ({}));
  }

  /** The node's index in the spec's node list; throws for an unknown id (a message to nowhere). */
  nodeIndex(id: NodeId): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`model checker: a message to ${JSON.stringify(id)}, which is not a node of the model (${this.spec.nodes.join(', ')})`);
    return i;
  }

  /** Delivers message `message` to its receiver in state `state` with durable store `store`. */
  deliver(node: number, state: number, store: number, message: number): Outcome {
    return this.cached(Input.Message, node, state, store, message);
  }

  /** Fires timer `timer` at `node`. */
  fire(node: number, state: number, store: number, timer: number): Outcome {
    return this.cached(Input.Timer, node, state, store, timer);
  }

  /** Starts `node` afresh (first start, or a restart after a crash) on durable store `store`: `init` runs. */
  start(node: number, store: number): Outcome {
    return this.cached(Input.Init, node, 0, store, 0);
  }

  /** The timers that may fire at `node` in state `state` (ids in `timers`). */
  timersAt(node: number, state: number): number[] {
    const key = String.fromCharCode(node) + ',' + state;
    let ids = this.timersByState.get(key);
    if (ids === undefined) {
      const id = this.spec.nodes[node];
      const instance = this.spec.instantiate(id, JSON.parse(this.states.keys[state]));
      ids = this.spec.timers(id, instance).map((timer) => this.timers.id(canonicalJson(timer), () => copyData(timer)));
      this.timersByState.set(key, ids);
    }
    return ids;
  }

  /** True when the spec says message `message` is dead for its receiver in state `state` (see ModelSpec.obsolete). */
  isObsolete(state: number, message: number): boolean {
    const obsolete = this.spec.obsolete;
    if (obsolete === undefined) return false;
    let row = this.dead[state];
    if (row === undefined) row = this.dead[state] = [];
    let verdict = row[message];
    if (verdict === undefined) {
      const { from, to, msg } = this.messages.values[message];
      const instance = this.spec.instantiate(to, JSON.parse(this.states.keys[state]));
      verdict = row[message] = obsolete(to, instance, from, copyData(msg) as M) ? 1 : 0;
    }
    return verdict === 1;
  }

  /** The ghost after folding in `notes`, in order. */
  observe(ghost: number, notes: readonly number[]): number {
    for (let k = 0; k < notes.length; k++) {
      const note = notes[k];
      const row = (this.observed[ghost] ??= []);
      let next = row[note];
      if (next === undefined) {
        const { node, text, data } = this.notes.values[note];
        const before = this.ghosts.values[ghost];
        const after = this.spec.observe(before, node, text, copyData(data));
        next = row[note] = after === before ? ghost : this.ghostId(after);
      }
      ghost = next;
    }
    return ghost;
  }

  ghostId(ghost: G): number {
    return this.ghosts.id(canonicalJson(ghost), () => ghost);
  }

  messageId(from: NodeId, to: NodeId, msg: unknown): number {
    return this.messages.id(canonicalJson({ from, msg, to }), () => ({ from, to, toIndex: this.nodeIndex(to), fromIndex: this.nodeIndex(from), msg: copyData(msg) }));
  }

  /**
   * The memo: per node state, a Map keyed by one number packing store, input, argument and
   * node (this runs for every step of the search: numbers hash much faster than strings).
   */
  private cached(input: Input, node: number, state: number, store: number, arg: number): Outcome {
    const small = store < 0x100000 && arg < 0x100000 && node < 0x40;
    const key = small ? ((store * 0x100000 + arg) * 0x40 + node) * 4 + input : 0;
    const row = small ? (this.outcomes[state] ??= new Map()) : null;
    const longKey = small ? '' : `${input},${node},${state},${store},${arg}`;
    let outcome = row ? row.get(key) : this.overflow.get(longKey);
    if (outcome === undefined) {
      outcome = this.runHandler(input, node, state, store, arg);
      if (row) row.set(key, outcome);
      else this.overflow.set(longKey, outcome);
    }
    return outcome;
  }

  /** Runs the real node code once: re-instantiate around the state, run the handler through a recording Context. */
  private runHandler(input: Input, node: number, state: number, store: number, arg: number): Outcome {
    this.handlerRuns++;
    const spec = this.spec;
    const id = spec.nodes[node];
    const instance = spec.instantiate(id, input === Input.Init ? undefined : JSON.parse(this.states.keys[state]));
    let storeData = this.stores.values[store];
    let storeId = store;
    const effects: Effect[] = [];
    const sends: number[] = [];
    const notes: number[] = [];
    const send = (to: NodeId, msg: M) => {
      const message = this.messageId(id, to, msg);
      effects.push({ kind: 'send', message });
      sends.push(message);
    };
    const unsupported = () => {
      throw new Error('model checker: client operations are not modelled');
    };
    let rng: Random | null = null;
    const ctx: Context<M, T> = {
      id,
      nodes: spec.nodes,
      // A fresh stream per handler run, so a result never depends on the order the search ran
      // handlers in. The model checker does not explore random choices: a node's random
      // numbers may set timer delays (which the model ignores), not decide what it does.
      get rng() {
        return (rng ??= new Random('modelcheck'));
      },
      now: () => 0,
      send,
      broadcast: (msg, to) => {
        for (const peer of to ?? spec.nodes) if (peer !== id) send(peer, msg);
      },
      setTimer: () => 0, // timers are the spec's `timers` steps, with a budget
      cancelTimer: () => undefined,
      persist: (key, value) => {
        storeData = { ...storeData, [key]: copyData(value) };
        const text = canonicalJson(storeData);
        const data = storeData;
        storeId = this.stores.id(text, () => data);
        effects.push({ kind: 'persist', key, value: copyData(value) });
      },
      load: <V>(key: string) => copyData(storeData[key]) as V | undefined,
      annotate: (text, data) => {
        const note = this.notes.id(canonicalJson({ data, node: id, text }), () => ({ node: id, text, data: copyData(data) }));
        effects.push({ kind: 'note', note });
        notes.push(note);
      },
      invoke: unsupported,
      complete: unsupported,
    };
    if (input === Input.Message) {
      const envelope = this.messages.values[arg];
      instance.onMessage(envelope.from, copyData(envelope.msg) as M, ctx);
    } else if (input === Input.Timer) {
      instance.onTimer(copyData(this.timers.values[arg]), ctx);
    } else {
      instance.init?.(ctx);
    }
    const normalized = spec.normalize ? spec.normalize(id, copyData(instance.state)) : instance.state;
    const newState = this.states.id(canonicalJson(normalized), () => null);
    return { state: newState, store: storeId, sends, notes, effects, cuts: cutsOf(effects, this.stores, store) };
  }
}

/**
 * The crash points of a handler's effects: between a send or persist and the next one. A
 * note goes with the effect before it (the acceptor notes 'accepted' once it has persisted
 * the acceptance, and that acceptance survives the crash); a crash before the first send or
 * persist is a plain crash, and one after the last is the whole handler then a crash.
 */
function cutsOf(effects: readonly Effect[], stores: Interner<Record<string, unknown>>, storeBefore: number): Cut[] {
  const cuts: Cut[] = [];
  let store = storeBefore;
  let data = stores.values[storeBefore];
  const sends: number[] = [];
  const notes: number[] = [];
  let acted = false;
  for (let k = 0; k < effects.length; k++) {
    const effect = effects[k];
    if (effect.kind === 'note') {
      notes.push(effect.note);
      continue;
    }
    if (acted) cuts.push({ effects: k, sends: sends.slice(), notes: notes.slice(), store });
    acted = true;
    if (effect.kind === 'send') sends.push(effect.message);
    else {
      data = { ...data, [effect.key]: effect.value };
      const snapshot = data;
      store = stores.id(canonicalJson(data), () => snapshot);
    }
  }
  return cuts;
}
