import { ConfigError, NodeId, assertNever, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { ZabMessage, ZabOperation, ZabTimer } from './messages';
import { requestIdOf } from './node';

/** Options of a ZAB client. Times are virtual milliseconds. */
export interface ZabClientOptions {
  /** The servers it may talk to (any of them: followers forward writes and syncs). */
  servers: readonly NodeId[];
  /** How many random operations it runs, one after the other. Default 0 (only what SUBMIT brings). */
  operations?: number;
  /** The keys of the random operations. Default ['x', 'y']. */
  keys?: string[];
  /** Shares of writes (put or append), sync reads and local reads among the random operations. Default 0.5, 0.3, 0.2. */
  mix?: { writes: number; syncReads: number; localReads: number };
  /** When the first operation starts. Default 0. */
  startAtMs?: number;
  /** A pause between operations, drawn in [0, thinkMs]. Default 10. */
  thinkMs?: number;
  /** No reply this long: send the same request (same seq) to the next server. Default 150. */
  retryMs?: number;
  /** No new random operation starts after this time. Default Infinity. */
  stopAtMs?: number;
  /** The server it talks to first (its ZooKeeper session's server). Default: drawn from its random stream. */
  firstServer?: NodeId;
}

/** A client's plain-data state. */
export interface ZabClientState {
  seq: number;
  /** Random operations started so far. */
  generated: number;
  completed: number;
  /** Operations brought by SUBMIT, not started yet (with the server to send each to, if given). */
  queue: { operation: ZabOperation; server?: NodeId }[];
  current: { opId: number; seq: number; operation: ZabOperation; attempt: number; startedMs: number } | null;
  target: number;
  /** How long each completed operation took. */
  latenciesMs: number[];
  /** stopAtMs has passed: no new random operation will start. */
  stopped: boolean;
}

type Ctx = Context<ZabMessage, ZabTimer>;

/**
 * A ZooKeeper client, simplified: one operation at a time on a key-value store, each recorded
 * in the history with `ctx.invoke` / `ctx.complete` for the linearizability checker. Writes
 * (put, append of unique strings) and sync reads (`get`, ZooKeeper's sync() then getData())
 * are linearizable; local reads (`get` with `{ local: true }` in the history's value) are
 * answered from the server's own state and may be stale (ZooKeeper promises them only
 * sequential consistency). A request without a reply in `retryMs` goes to the next server with
 * the same sequence number; servers apply a write at most once per (client, seq).
 *
 * @example
 *   sim.addNode('c1', () => new ZabClient({ servers: ['n1', 'n2', 'n3'], operations: 20 }));
 */
export class ZabClient implements ProtocolNode<ZabMessage, ZabTimer> {
  state: ZabClientState = { seq: 0, generated: 0, completed: 0, queue: [], current: null, target: 0, latenciesMs: [], stopped: false };

  constructor(readonly options: ZabClientOptions) {
    if (!Array.isArray(options.servers) || options.servers.length === 0) throw new ConfigError('servers', 'a non-empty array of server ids', options.servers);
    requireInteger('operations', options.operations ?? 0, 0);
    requireNumberInRange('retryMs', options.retryMs ?? 150, 0.001, Infinity);
    const mix = options.mix;
    if (mix !== undefined) {
      for (const k of ['writes', 'syncReads', 'localReads'] as const) requireNumberInRange(`mix.${k}`, mix[k], 0, Infinity);
      if (mix.writes + mix.syncReads + mix.localReads <= 0) throw new ConfigError('mix', 'shares that are not all 0', mix);
    }
    if (options.firstServer !== undefined && !options.servers.includes(options.firstServer)) throw new ConfigError('firstServer', `one of the servers (${options.servers.join(', ')})`, options.firstServer);
  }

  /** True when it has nothing in flight and nothing left to run. */
  get idle(): boolean {
    const s = this.state;
    return s.current === null && s.queue.length === 0 && (s.stopped || s.generated >= (this.options.operations ?? 0));
  }

  init(ctx: Ctx): void {
    const first = this.options.firstServer;
    this.state.target = first !== undefined ? this.options.servers.indexOf(first) : ctx.rng.int(0, this.options.servers.length - 1);
    ctx.setTimer({ type: 'ClientNext' }, Math.max(0, (this.options.startAtMs ?? 0) - ctx.now()));
  }

  onMessage(from: NodeId, msg: ZabMessage, ctx: Ctx): void {
    const s = this.state;
    switch (msg.type) {
      case 'SUBMIT':
        s.queue.push(msg.server === undefined ? { operation: msg.operation } : { operation: msg.operation, server: msg.server });
        if (s.current === null) this.next(ctx);
        return;
      case 'CLIENT_REPLY': {
        const current = s.current;
        if (current === null || msg.requestId !== requestIdOf(ctx.id, current.seq)) return; // late or duplicated
        if (!msg.ok) {
          s.target = (s.target + 1) % this.options.servers.length;
          current.attempt++; // the pending timeout is stale now
          ctx.setTimer({ type: 'ClientRetry', seq: current.seq, attempt: current.attempt, nextServer: false }, 10);
          return;
        }
        const { operation } = current;
        ctx.complete(current.opId, 'ok', operation.op === 'get' ? { key: operation.key, value: msg.value ?? '' } : undefined);
        s.latenciesMs.push(ctx.now() - current.startedMs);
        s.completed++;
        s.current = null;
        const index = this.options.servers.indexOf(from);
        if (index >= 0) s.target = index;
        ctx.setTimer({ type: 'ClientNext' }, ctx.rng.uniform(0, this.options.thinkMs ?? 10));
        return;
      }
      default:
        return; // for servers
    }
  }

  onTimer(timer: ZabTimer, ctx: Ctx): void {
    const s = this.state;
    switch (timer.type) {
      case 'ClientNext':
        return this.next(ctx);
      case 'ClientRetry': {
        const current = s.current;
        if (current === null || current.seq !== timer.seq || current.attempt !== timer.attempt) return; // stale
        if (timer.nextServer) s.target = (s.target + 1) % this.options.servers.length;
        this.send(ctx);
        return;
      }
      case 'ElectionTick':
      case 'ElectionSettle':
      case 'Tick':
        return; // for servers
      default:
        return assertNever(timer, 'timer');
    }
  }

  private next(ctx: Ctx): void {
    const s = this.state;
    if (s.current !== null) return;
    const submitted = s.queue.shift();
    let operation: ZabOperation | undefined = submitted?.operation;
    if (submitted?.server !== undefined && this.options.servers.includes(submitted.server)) s.target = this.options.servers.indexOf(submitted.server);
    if (operation === undefined) {
      if (ctx.now() > (this.options.stopAtMs ?? Infinity)) s.stopped = true;
      if (s.stopped || s.generated >= (this.options.operations ?? 0)) return;
      s.generated++;
      operation = this.randomOperation(ctx);
    }
    s.seq++;
    const value = operation.op === 'get' ? (operation.local ? { key: operation.key, local: true } : { key: operation.key }) : { key: operation.key, value: operation.value };
    const opId = ctx.invoke(ctx.id, operation.op, value);
    s.current = { opId, seq: s.seq, operation, attempt: 0, startedMs: ctx.now() };
    this.send(ctx);
  }

  private randomOperation(ctx: Ctx): ZabOperation {
    const mix = this.options.mix ?? { writes: 0.5, syncReads: 0.3, localReads: 0.2 };
    const key = ctx.rng.pick(this.options.keys ?? ['x', 'y']);
    const roll = ctx.rng.next() * (mix.writes + mix.syncReads + mix.localReads);
    if (roll < mix.writes) return { op: ctx.rng.chance(0.3) ? 'put' : 'append', key, value: `[${ctx.id}.${this.state.seq + 1}]` };
    return { op: 'get', key, local: roll >= mix.writes + mix.syncReads };
  }

  private send(ctx: Ctx): void {
    const s = this.state;
    const current = s.current;
    if (current === null) return;
    ctx.send(this.options.servers[s.target], { type: 'CLIENT_REQUEST', requestId: requestIdOf(ctx.id, current.seq), client: ctx.id, seq: current.seq, operation: current.operation });
    current.attempt++;
    ctx.setTimer({ type: 'ClientRetry', seq: current.seq, attempt: current.attempt, nextServer: true }, this.options.retryMs ?? 150);
  }
}
