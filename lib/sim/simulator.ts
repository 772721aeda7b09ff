import {
  BudgetExceededError,
  copyData,
  ConfigError,
  DropReason,
  HistoryEntry,
  NodeId,
  Random,
  RandomStreams,
  Trace,
  TraceEvent,
  msToUs,
  requireInteger,
  requireNumberInRange,
  usToMs,
} from '../core';
import { sampleLatencyMs } from './latency';
import { NetworkOptions, NetworkState } from './network';
import { Context, NodeFactory, ProtocolNode } from './node';
import { EventQueue } from './queue';
import { FaultStep, validateFaultStep } from './faults';

/** Options of a simulation. Only `seed` is required. */
export interface SimulatorOptions {
  /** The one seed all randomness flows from. Print it with every result. */
  seed: number | string;
  /** Network behaviour (see NetworkOptions); defaults to a reliable 1-5 ms LAN. */
  network?: Partial<NetworkOptions>;
  /** Keep every trace event (default true). Off for benchmarks and long sweeps. */
  recordTrace?: boolean;
  /** Keep a running hash of the trace even when not recording it (default false). */
  hashTrace?: boolean;
  /** Copy each message on send, as a real network would serialise it (default true). */
  copyMessages?: boolean;
}

interface Delivery {
  type: 'deliver';
  from: NodeId;
  to: NodeId;
  /** The receiver's record, looked up once at send time. */
  target: NodeRecord;
  msg: unknown;
  msgId: number;
  sentUs: number;
  /** Decided at send time: the message is lost in the network (null: it may arrive). */
  fate: DropReason | null;
}

interface TimerFire {
  type: 'timer';
  node: NodeId;
  timerId: number;
  incarnation: number;
  timer: unknown;
}

interface Action {
  type: 'action';
  label: string;
  run: () => void;
}

type SimEvent = Delivery | TimerFire | Action;

interface NodeRecord {
  id: NodeId;
  factory: NodeFactory<any, any>;
  node: ProtocolNode<any, any> | null;
  up: boolean;
  paused: boolean;
  incarnation: number;
  durable: Map<string, unknown>;
  ctx: Context<any, any>;
  /** Deliveries and timers that arrived while paused, replayed in order on resume. */
  held: SimEvent[];
  cancelledTimers: Set<number>;
  /** Armed by crashAfterNextSend: the node crashes right after a send of this type ('' for any). */
  crashAfterSend: string | null;
}

/**
 * A deterministic discrete-event simulator of a message-passing system.
 *
 * Virtual time is an integer number of microseconds, shown in milliseconds. Events are
 * processed in (time, insertion sequence) order; every random choice comes from named
 * streams of one seed ("network", "faults", "workload", "node:<id>"), so the same seed and
 * the same code give the same trace, byte for byte (`sim.trace.hash()`).
 *
 * @example
 *   const sim = new Simulator({ seed: 7, network: { dropRate: 0.1 } });
 *   sim.addNode('a', () => new Pinger('b'));
 *   sim.addNode('b', () => new Ponger());
 *   sim.run({ untilMs: 1000 });
 *   sim.trace.hash(); // the same for seed 7, every time
 */
export class Simulator {
  /**
   * Called with every simulator as it is made, when set: how tools such as `npm run replay`
   * find the runs a graded test made, to save their traces. Not for protocol code.
   */
  static onCreate: ((sim: Simulator) => void) | null = null;

  readonly seed: string;
  readonly random: RandomStreams;
  readonly trace: Trace;
  readonly network: NetworkState;
  readonly history: HistoryEntry[] = [];

  private readonly queue = new EventQueue<SimEvent>();
  private readonly records = new Map<NodeId, NodeRecord>();
  private readonly nodeIds: NodeId[] = [];
  private readonly networkRandom: Random;
  private readonly fifoLastUs = new Map<string, number>();
  private readonly copyMessages: boolean;
  /** False when the trace neither records nor hashes: then no trace event is even built. */
  private readonly tracing: boolean;
  private nowUs = 0;
  private processed = 0;
  private nextMsgId = 1;
  private nextTimerId = 1;
  private nextOpId = 1;
  private readonly openOperations = new Map<number, HistoryEntry>();

  constructor(options: SimulatorOptions) {
    if (!options || options.seed === undefined || options.seed === null) {
      throw new ConfigError('seed', 'a number or a string', options?.seed);
    }
    const known = new Set(['seed', 'network', 'recordTrace', 'hashTrace', 'copyMessages']);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) throw new ConfigError(key, `one of the simulator options (${[...known].join(', ')})`, key);
    }
    this.random = new RandomStreams(options.seed);
    this.seed = this.random.seed;
    this.network = new NetworkState(options.network ?? {});
    this.trace = new Trace(options.recordTrace ?? true, options.hashTrace ?? false);
    this.networkRandom = this.random.stream('network');
    this.copyMessages = options.copyMessages ?? true;
    this.tracing = (options.recordTrace ?? true) || (options.hashTrace ?? false);
    Simulator.onCreate?.(this);
  }

  // ---------------------------------------------------------------- nodes

  /** Adds a node; it starts (its `init` runs) at the current virtual time. */
  addNode<M, T>(id: NodeId, factory: NodeFactory<M, T>): void {
    if (typeof id !== 'string' || id.length === 0) throw new ConfigError('node id', 'a non-empty string', id);
    if (this.records.has(id)) throw new ConfigError('node id', 'unique', id);
    if (typeof factory !== 'function') throw new ConfigError(`factory for ${id}`, 'a function (id) => node', factory);
    const record: NodeRecord = {
      id,
      factory,
      node: null,
      up: false,
      paused: false,
      incarnation: 0,
      durable: new Map(),
      ctx: null as unknown as Context,
      held: [],
      cancelledTimers: new Set(),
      crashAfterSend: null,
    };
    record.ctx = this.makeContext(record);
    this.records.set(id, record);
    this.nodeIds.push(id);
    this.scheduleAction(this.nowUs, `start ${id}`, () => this.boot(record, 'start'));
  }

  /** Ids of all nodes, in the order they were added. */
  get nodes(): readonly NodeId[] {
    return this.nodeIds;
  }

  /** The live node object with this id (for inspection), or null while it is down. */
  node<N extends ProtocolNode<any, any>>(id: NodeId): N | null {
    return this.record(id, 'node').node as N | null;
  }

  /** True while the node runs (not crashed; a paused node counts as up). */
  isUp(id: NodeId): boolean {
    return this.record(id, 'isUp').up;
  }

  /** A copy of the node's durable storage. */
  durable(id: NodeId): Map<string, unknown> {
    return new Map(this.record(id, 'durable').durable);
  }

  // ---------------------------------------------------------------- time and running

  /** Virtual time now, in milliseconds. */
  now(): number {
    return usToMs(this.nowUs);
  }

  /** Events processed so far. */
  get eventCount(): number {
    return this.processed;
  }

  /** Events waiting in the queue. */
  get pending(): number {
    return this.queue.size;
  }

  /** Runs `fn` at virtual time `atMs` (absolute). Use it to script clients and scenarios. */
  at(atMs: number, fn: () => void, label = 'scheduled action'): void {
    requireNumberInRange('atMs', atMs, this.now(), Infinity);
    this.scheduleAction(msToUs(atMs), label, fn);
  }

  /** Runs `fn` after `delayMs` of virtual time. */
  after(delayMs: number, fn: () => void, label = 'scheduled action'): void {
    requireNumberInRange('delayMs', delayMs, 0, Infinity);
    this.scheduleAction(this.nowUs + msToUs(delayMs), label, fn);
  }

  /** Schedules a fault script: crashes, restarts, pauses, partitions, cuts, heals, at given times. */
  schedule(steps: readonly FaultStep[]): void {
    steps.forEach((step, index) => {
      validateFaultStep(step, `steps[${index}]`, this.records, this.now());
      this.scheduleAction(msToUs(step.atMs), `fault ${step.action}`, () => this.applyFault(step));
    });
  }

  /** Processes one event. Returns false when the queue is empty. */
  step(): boolean {
    const timeUs = this.queue.peekTime();
    const event = this.queue.pop();
    if (event === undefined) return false;
    this.nowUs = timeUs;
    this.processed++;
    this.dispatch(event);
    return true;
  }

  /**
   * Runs until the queue is empty, virtual time passes `untilMs`, or `maxEvents` are processed.
   * Exceeding maxEvents throws a BudgetExceededError (a protocol whose timers re-arm forever
   * never empties the queue: give it `untilMs`).
   */
  run(options: { untilMs?: number; maxEvents?: number } = {}): void {
    const untilUs = options.untilMs === undefined ? Infinity : msToUs(requireNumberInRange('untilMs', options.untilMs, 0, Infinity));
    const maxEvents = options.maxEvents ?? 10_000_000;
    requireInteger('maxEvents', maxEvents, 1);
    let budget = maxEvents;
    while (this.queue.size > 0 && this.queue.peekTime() <= untilUs) {
      if (budget-- === 0) {
        throw this.budgetError(`run: ${maxEvents} events processed before reaching ${options.untilMs === undefined ? 'an empty queue' : `${options.untilMs} ms`}`);
      }
      this.step();
    }
    if (untilUs !== Infinity && this.nowUs < untilUs) this.nowUs = untilUs;
  }

  /**
   * Runs until `predicate()` holds (checked after every event). Returns true when it holds,
   * false if the queue empties first. Throws a BudgetExceededError after `maxEvents` events,
   * with the seed to replay. Past `maxTimeMs` of virtual time it throws too, or, with
   * `atTimeLimit: 'stop'`, moves the clock to `maxTimeMs` and returns false (a deadline a
   * scenario may miss, not a runaway).
   */
  runUntil(predicate: () => boolean, options: { maxEvents?: number; maxTimeMs?: number; atTimeLimit?: 'throw' | 'stop' } = {}): boolean {
    const maxEvents = options.maxEvents ?? 1_000_000;
    requireInteger('maxEvents', maxEvents, 1);
    const maxTimeUs = options.maxTimeMs === undefined ? Infinity : msToUs(requireNumberInRange('maxTimeMs', options.maxTimeMs, 0, Infinity));
    if (predicate()) return true;
    for (let i = 0; i < maxEvents; i++) {
      if (this.queue.peekTime() > maxTimeUs) {
        if (options.atTimeLimit === 'stop' && this.nowUs <= maxTimeUs) {
          this.nowUs = maxTimeUs;
          return false;
        }
        throw this.budgetError(`runUntil: the condition did not hold within ${options.maxTimeMs} ms of virtual time`);
      }
      if (!this.step()) return false;
      if (predicate()) return true;
    }
    throw this.budgetError(`runUntil: the condition did not hold within ${maxEvents} events`);
  }

  /**
   * Runs until an event that `match` accepts is added to the trace (only events from now on
   * count), and returns it; null when the queue empties first or, with `atTimeLimit: 'stop'`,
   * when `maxTimeMs` passes. Budgets as for runUntil. Scenarios use it to stop right after a
   * given send or note ("run until the coordinator has sent Prepare"), then inject a fault.
   * The trace must be recorded (the default).
   *
   * @example
   *   sim.runUntilEvent((e) => e.kind === 'send' && e.from === 'tm', { maxTimeMs: sim.now() + 1000 });
   */
  runUntilEvent(match: (event: TraceEvent) => boolean, options: { maxEvents?: number; maxTimeMs?: number; atTimeLimit?: 'throw' | 'stop' } = {}): TraceEvent | null {
    const events = this.trace.events;
    let scanned = events.length;
    let found: TraceEvent | null = null;
    this.runUntil(() => {
      for (; found === null && scanned < events.length; scanned++) {
        if (match(events[scanned])) found = events[scanned];
      }
      return found !== null;
    }, options);
    return found;
  }

  // ---------------------------------------------------------------- faults

  /** Crashes a node now: its volatile state and timers are gone; durable storage stays. */
  crash(id: NodeId): void {
    const r = this.record(id, 'crash');
    if (!r.up) throw new ConfigError(`crash(${id})`, 'a node that is up', 'a node that is already down');
    r.up = false;
    r.paused = false;
    r.node = null;
    r.held = [];
    r.cancelledTimers.clear();
    r.crashAfterSend = null;
    r.incarnation++;
    if (this.tracing) this.trace.push({ kind: 'crash', timeMs: this.now(), node: id });
  }

  /**
   * Arms a crash in the middle of a handler: the node's next send (of type `msgType`, when
   * given) leaves, and the node crashes at once, before the rest of that handler runs. Sends,
   * writes to durable storage and timers that the handler would make after that point never
   * happen. This is the fault that tells "persist, then reply" from "reply, then persist": a
   * disk write and a network send are never one atomic step.
   *
   * @example
   *   sim.at(50, () => sim.crashAfterNextSend('a1', { msgType: 'Promise' }));
   */
  crashAfterNextSend(id: NodeId, options: { msgType?: string } = {}): void {
    const r = this.record(id, 'crashAfterNextSend');
    if (options.msgType !== undefined && (typeof options.msgType !== 'string' || options.msgType === '')) {
      throw new ConfigError('crashAfterNextSend msgType', 'a non-empty string (a message type)', options.msgType);
    }
    r.crashAfterSend = options.msgType ?? '';
  }

  /** Restarts a crashed node: a fresh object whose `init` reads the durable storage. */
  restart(id: NodeId): void {
    const r = this.record(id, 'restart');
    if (r.up) throw new ConfigError(`restart(${id})`, 'a node that is down', 'a node that is up');
    this.boot(r, 'restart');
  }

  /** Pauses a node (a long GC pause, a stalled VM): it handles nothing until resumed, then catches up in order. */
  pause(id: NodeId): void {
    const r = this.record(id, 'pause');
    if (!r.up || r.paused) throw new ConfigError(`pause(${id})`, 'a node that is up and running', r.up ? 'paused' : 'down');
    r.paused = true;
    if (this.tracing) this.trace.push({ kind: 'pause', timeMs: this.now(), node: id });
  }

  resume(id: NodeId): void {
    const r = this.record(id, 'resume');
    if (!r.paused) throw new ConfigError(`resume(${id})`, 'a paused node', 'a node that is not paused');
    r.paused = false;
    if (this.tracing) this.trace.push({ kind: 'resume', timeMs: this.now(), node: id });
    const held = r.held;
    r.held = [];
    for (const event of held) this.queue.push(this.nowUs, event);
  }

  /** Splits the network into groups that cannot reach each other. Unlisted nodes reach everyone. */
  partition(groups: NodeId[][]): void {
    if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g))) {
      throw new ConfigError('partition groups', 'an array of arrays of node ids', groups);
    }
    for (const group of groups) for (const node of group) this.record(node, 'partition');
    this.network.partition(groups);
    if (this.tracing) this.trace.push({ kind: 'network', timeMs: this.now(), change: 'partition', groups: groups.map((g) => g.slice()) });
  }

  /** Cuts the one-way link from -> to (to -> from still works). */
  cut(from: NodeId, to: NodeId): void {
    this.record(from, 'cut');
    this.record(to, 'cut');
    this.network.cut(from, to);
    if (this.tracing) this.trace.push({ kind: 'network', timeMs: this.now(), change: 'cut', from, to });
  }

  /** Removes every partition and cut. */
  heal(): void {
    this.network.heal();
    if (this.tracing) this.trace.push({ kind: 'network', timeMs: this.now(), change: 'heal' });
  }

  /** Changes network options from now on (e.g. stop losing messages after a chaos phase). */
  configureNetwork(options: Partial<NetworkOptions>): void {
    this.network.configure(options);
    if (this.tracing) this.trace.push({ kind: 'network', timeMs: this.now(), change: 'configure', detail: options });
  }

  /** Overrides the options of one directed link. */
  configureLink(from: NodeId, to: NodeId, options: Partial<NetworkOptions>): void {
    this.record(from, 'configureLink');
    this.record(to, 'configureLink');
    this.network.setLink(from, to, options);
    if (this.tracing) this.trace.push({ kind: 'network', timeMs: this.now(), change: 'configure', from, to, detail: options });
  }

  /** Delivers `msg` to `to` from outside the simulated nodes (a test harness, an operator). */
  inject(to: NodeId, msg: unknown, from: NodeId = 'env', delayMs = 0): void {
    const target = this.record(to, 'inject');
    const msgId = this.nextMsgId++;
    if (this.tracing) this.trace.push({ kind: 'send', timeMs: this.now(), from, to, msgId, msg });
    this.queue.push(this.nowUs + msToUs(delayMs), { type: 'deliver', from, to, target, msg, msgId, sentUs: this.nowUs, fate: null });
  }

  /** A short line for reports: the seed and where the run stands. */
  describe(): string {
    return `seed ${this.seed}, virtual time ${this.now()} ms, ${this.processed} events`;
  }

  // ---------------------------------------------------------------- internals

  private applyFault(step: FaultStep): void {
    switch (step.action) {
      case 'crash':
        return this.crash(step.node);
      case 'crash-after-send':
        return this.crashAfterNextSend(step.node, step.msgType === undefined ? {} : { msgType: step.msgType });
      case 'restart':
        return this.restart(step.node);
      case 'pause':
        return this.pause(step.node);
      case 'resume':
        return this.resume(step.node);
      case 'partition':
        return this.partition(step.groups);
      case 'cut':
        return this.cut(step.from, step.to);
      case 'heal':
        return this.heal();
      case 'configure':
        return this.configureNetwork(step.network);
    }
  }

  private record(id: NodeId, operation: string): NodeRecord {
    const r = this.records.get(id);
    if (!r) {
      throw new ConfigError(`${operation}: node`, `one of the nodes (${this.nodeIds.join(', ') || 'none yet'})`, id);
    }
    return r;
  }

  private scheduleAction(atUs: number, label: string, run: () => void): void {
    this.queue.push(atUs, { type: 'action', label, run });
  }

  private budgetError(what: string): BudgetExceededError {
    return new BudgetExceededError(
      `${what} (${this.describe()}). A protocol may be looping, or the goal may be unreachable under ` +
        `these faults; raise the budget if the run is just long. Replay with seed ${this.seed}.`,
      this.seed,
      this.processed,
      this.now(),
    );
  }

  private boot(r: NodeRecord, kind: 'start' | 'restart'): void {
    r.node = r.factory(r.id);
    r.up = true;
    r.paused = false;
    if (this.tracing) this.trace.push({ kind, timeMs: this.now(), node: r.id });
    r.node.init?.(r.ctx);
  }

  private dispatch(event: SimEvent): void {
    switch (event.type) {
      case 'deliver':
        this.deliver(event);
        return;
      case 'timer':
        this.fireTimer(event);
        return;
      case 'action':
        event.run();
        return;
    }
  }

  private deliver(d: Delivery): void {
    const r = d.target;
    const reason = d.fate ?? this.network.blocked(d.from, d.to) ?? (r.up ? null : 'crashed');
    if (reason !== null) {
      if (this.tracing) this.trace.push({ kind: 'drop', timeMs: this.now(), from: d.from, to: d.to, msgId: d.msgId, sentMs: usToMs(d.sentUs), reason, msg: d.msg });
      return;
    }
    if (r.paused) {
      r.held.push(d);
      return;
    }
    if (this.tracing) this.trace.push({ kind: 'deliver', timeMs: this.now(), from: d.from, to: d.to, msgId: d.msgId, sentMs: usToMs(d.sentUs), msg: d.msg });
    (r.node as ProtocolNode).onMessage(d.from, d.msg, r.ctx);
  }

  private fireTimer(t: TimerFire): void {
    const r = this.records.get(t.node) as NodeRecord;
    if (!r.up || r.incarnation !== t.incarnation) return; // died with a crash
    if (r.cancelledTimers.delete(t.timerId)) return;
    if (r.paused) {
      r.held.push(t);
      return;
    }
    if (this.tracing) this.trace.push({ kind: 'timer', timeMs: this.now(), node: t.node, timer: t.timer });
    (r.node as ProtocolNode).onTimer(t.timer, r.ctx);
  }

  /**
   * A send by a node's handler. Nothing leaves a node that crashed earlier in the same handler
   * (crashAfterNextSend); the send that trips an armed crash point leaves, then the node crashes.
   */
  private sendFrom(r: NodeRecord, to: NodeId, msg: unknown): void {
    if (!r.up) return;
    this.send(r.id, to, msg);
    const armed = r.crashAfterSend;
    if (armed !== null && (armed === '' || (msg as { type?: unknown } | null)?.type === armed)) this.crash(r.id);
  }

  private send(from: NodeId, to: NodeId, msg: unknown): void {
    const target = this.records.get(to);
    if (target === undefined) {
      throw new ConfigError(`${from} sent a message to`, `one of the nodes (${this.nodeIds.join(', ')})`, to);
    }
    const payload = this.copyMessages ? copyData(msg) : msg;
    const msgId = this.nextMsgId++;
    const now = this.nowUs;
    if (this.tracing) this.trace.push({ kind: 'send', timeMs: usToMs(now), from, to, msgId, msg: payload });
    const options = this.network.linkOptions(from, to);
    const rng = this.networkRandom;
    const fate: DropReason | null = this.network.blocked(from, to) ?? (rng.chance(options.dropRate) ? 'loss' : null);
    const copies = fate === null && rng.chance(options.duplicateRate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let delayUs = msToUs(sampleLatencyMs(options.latency, rng));
      if (options.reorderRate > 0 && rng.chance(options.reorderRate)) {
        delayUs += msToUs(rng.uniform(0, options.reorderDelayMs));
      }
      let atUs = now + delayUs;
      if (options.fifo) {
        const key = `${from}\u0000${to}`;
        const last = this.fifoLastUs.get(key) ?? 0;
        if (atUs < last) atUs = last;
        this.fifoLastUs.set(key, atUs);
      }
      const body = copy === 0 ? payload : this.copyMessages ? copyData(msg) : msg;
      this.queue.push(atUs, { type: 'deliver', from, to, target, msg: body, msgId, sentUs: now, fate });
    }
  }

  private makeContext(r: NodeRecord): Context {
    const sim = this;
    const id = r.id;
    let rng: Random | null = null; // made on first use: most nodes of a big run never draw
    return {
      id,
      nodes: this.nodeIds,
      get rng() {
        return (rng ??= sim.random.stream(`node:${id}`));
      },
      now: () => sim.now(),
      send: (to, msg) => sim.sendFrom(r, to, msg),
      broadcast: (msg, to) => {
        for (const peer of to ?? sim.nodeIds) if (peer !== id) sim.sendFrom(r, peer, msg);
      },
      setTimer: (timer, delayMs) => {
        if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
          throw new ConfigError(`${id}: setTimer delayMs`, 'a finite number >= 0', delayMs);
        }
        const timerId = sim.nextTimerId++;
        if (!r.up) return timerId; // crashed in the middle of this handler: the timer dies with it
        sim.queue.push(sim.nowUs + msToUs(delayMs), { type: 'timer', node: id, timerId, incarnation: r.incarnation, timer });
        return timerId;
      },
      cancelTimer: (timerId) => {
        r.cancelledTimers.add(timerId);
      },
      persist: (key, value) => {
        if (!r.up) return; // crashed in the middle of this handler: the write never happens
        const copy = copyData(value);
        r.durable.set(key, copy);
        if (sim.tracing) sim.trace.push({ kind: 'persist', timeMs: sim.now(), node: id, key, value: copy });
      },
      load: <V>(key: string) => {
        const value = r.durable.get(key);
        return value === undefined ? undefined : (copyData(value) as V);
      },
      annotate: (text, data) => {
        if (sim.tracing && r.up) sim.trace.push({ kind: 'annotate', timeMs: sim.now(), node: id, text, data });
      },
      invoke: (process, f, value) => {
        const opId = sim.nextOpId++;
        const call: HistoryEntry = { opId, process, type: 'invoke', f, value, timeMs: sim.now() };
        sim.history.push(call);
        sim.openOperations.set(opId, call);
        if (sim.tracing) sim.trace.push({ kind: 'invoke', timeMs: sim.now(), node: id, opId, process, f, value });
        return opId;
      },
      complete: (opId, type, value) => {
        const call = sim.openOperations.get(opId);
        if (!call) throw new ConfigError(`${id}: complete opId`, 'the id of an operation invoked and not yet completed', opId);
        sim.openOperations.delete(opId);
        sim.history.push({ opId, process: call.process, type, f: call.f, value, timeMs: sim.now() });
        if (sim.tracing) sim.trace.push({ kind: 'return', timeMs: sim.now(), node: id, opId, process: call.process, type, f: call.f, value });
      },
    };
  }
}
