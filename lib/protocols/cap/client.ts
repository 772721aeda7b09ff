import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { CapMessage, CapTimer } from './messages';

/** Options of a register client. */
export interface RegisterClientOptions {
  /** The replica this client talks to (it stays on that replica's side of a partition). */
  home: NodeId;
  /** Keys it reads and writes, picked uniformly. Default ['x']. */
  keys?: readonly string[];
  /** Share of reads. Default 0.5. */
  readRatio?: number;
  /** Pause between an answer and the next request, uniform in [min, max] ms. Default [2, 10]. */
  thinkMs?: [number, number];
  /** How long it waits for an answer before recording the outcome as unknown. Default 400 ms. */
  timeoutMs?: number;
  /** No new requests at or after this time. Default Infinity. */
  stopAtMs?: number;
  /** Only reads at or after this time (BASE: writes stop, reads go on). Default Infinity. */
  readOnlyFromMs?: number;
  /**
   * How the history records operations: 'register' (`read` / `write` with the value, for
   * checkRegisterHistory) or 'kv' (`get` / `put` with `{ key, value }`). Default 'register'.
   */
  history?: 'register' | 'kv';
}

type Ctx = Context<CapMessage, CapTimer>;

/**
 * A closed-loop client of the register: one request at a time to its home replica, recorded in
 * the simulator's history (invoke, then ok / fail / info) for the linearizability checker and
 * the CAP measures. Every write writes a value no other write writes (`c1-7`), so a read names
 * the write it saw. A request with no answer in `timeoutMs` is recorded as info for a write
 * (it may have taken effect) and fail for a read (a read has no effect).
 *
 * @example
 *   sim.addNode('c1', () => new RegisterClient({ home: 'r1' }));
 */
export class RegisterClient implements ProtocolNode<CapMessage, CapTimer> {
  /** The operation in flight: the history's op id, the request's, and what it was. */
  current: { opId: number; requestId: number; f: 'read' | 'write'; key: string } | null = null;
  private sequence = 0;
  private readonly keys: readonly string[];
  private readonly readRatio: number;
  private readonly thinkMs: [number, number];
  private readonly timeoutMs: number;

  constructor(readonly options: RegisterClientOptions) {
    if (typeof options.home !== 'string') throw new ConfigError('home', 'a replica id', options.home);
    this.keys = options.keys ?? ['x'];
    if (!Array.isArray(this.keys) || this.keys.length === 0) throw new ConfigError('keys', 'a non-empty array of keys', this.keys);
    this.readRatio = requireNumberInRange('readRatio', options.readRatio ?? 0.5, 0, 1);
    this.thinkMs = options.thinkMs ?? [2, 10];
    requireNumberInRange('thinkMs[0]', this.thinkMs[0], 0, Infinity);
    requireNumberInRange('thinkMs[1]', this.thinkMs[1], this.thinkMs[0], Infinity);
    this.timeoutMs = requireNumberInRange('timeoutMs', options.timeoutMs ?? 400, 0.001, Infinity);
  }

  init(ctx: Ctx): void {
    this.next(ctx);
  }

  onMessage(_from: NodeId, msg: CapMessage, ctx: Ctx): void {
    if (msg.type !== 'ClientReply' || this.current === null || msg.opId !== this.current.requestId) return; // late or duplicate
    const { opId, f, key } = this.current;
    this.current = null;
    if (f === 'read' && msg.result === 'ok') ctx.complete(opId, 'ok', this.recorded(key, msg.value ?? null));
    else ctx.complete(opId, msg.result);
    this.next(ctx);
  }

  onTimer(timer: CapTimer, ctx: Ctx): void {
    if (timer.type === 'NextOperation') return this.start(ctx);
    if (timer.type === 'ClientTimeout' && this.current !== null && this.current.requestId === timer.opId) {
      const { opId, f } = this.current;
      this.current = null;
      ctx.complete(opId, f === 'write' ? 'info' : 'fail');
      this.next(ctx);
    }
  }

  private next(ctx: Ctx): void {
    const delay = ctx.rng.uniform(this.thinkMs[0], this.thinkMs[1]);
    if (ctx.now() + delay >= (this.options.stopAtMs ?? Infinity)) return;
    ctx.setTimer({ type: 'NextOperation' }, delay);
  }

  private start(ctx: Ctx): void {
    const key = ctx.rng.pick(this.keys);
    const readOnly = ctx.now() >= (this.options.readOnlyFromMs ?? Infinity);
    const f: 'read' | 'write' = readOnly || ctx.rng.chance(this.readRatio) ? 'read' : 'write';
    const requestId = requireInteger('sequence', ++this.sequence, 1);
    const kv = this.options.history === 'kv';
    if (f === 'write') {
      const value = `${ctx.id}-${requestId}`;
      const opId = kv ? ctx.invoke(ctx.id, 'put', { key, value }) : ctx.invoke(ctx.id, 'write', value);
      this.current = { opId, requestId, f, key };
      ctx.send(this.options.home, { type: 'ClientRequest', opId: requestId, f, key, value });
    } else {
      const opId = kv ? ctx.invoke(ctx.id, 'get', { key }) : ctx.invoke(ctx.id, 'read');
      this.current = { opId, requestId, f, key };
      ctx.send(this.options.home, { type: 'ClientRequest', opId: requestId, f, key });
    }
    ctx.setTimer({ type: 'ClientTimeout', opId: requestId }, this.timeoutMs);
  }

  private recorded(key: string, value: string | null): unknown {
    return this.options.history === 'kv' ? { key, value } : value;
  }
}
