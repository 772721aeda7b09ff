import { NodeId, requireInteger } from '../../core';
import type { Context, ProtocolNode } from '../../sim';
import { macFor, sign, verifyMac } from './auth';
import { ClientRequest, PbftClientTimer, PbftMessage } from './messages';

/** Options of a PBFT client. */
export interface PbftClientOptions {
  replicas: readonly NodeId[];
  f: number;
  keySeed: string;
  /** How many operations to run, one at a time. Default 10. */
  operations?: number;
  /** Pause between operations. Default 5 ms. */
  thinkMs?: number;
  /** Retransmission timeout (OSDI §4.1). Default 200 ms. */
  retransmitMs?: number;
  /** Start no operation after this time. Default: never stop early. */
  stopAtMs?: number;
}

/** A client's state, plain data. */
export interface PbftClientState {
  view: number;
  timestamp: number;
  done: number;
  current: { timestamp: number; opId: number; request: ClientRequest; replies: Record<NodeId, string> } | null;
}

type Ctx = Context<PbftMessage, PbftClientTimer>;

/**
 * A PBFT client (OSDI §4.1): sends each request to the primary it believes in, waits for f+1
 * matching replies from distinct replicas (then at least one is from a correct replica), and
 * on a timeout retransmits to every replica. Records each operation in the history.
 *
 * @example
 *   sim.addNode('c1', () => new PbftClient({ replicas, f: 1, keySeed: '1', operations: 5 }));
 */
export class PbftClient implements ProtocolNode<PbftMessage, PbftClientTimer> {
  readonly state: PbftClientState = { view: 0, timestamp: 0, done: 0, current: null };
  private readonly operations: number;

  constructor(readonly options: PbftClientOptions) {
    this.operations = requireInteger('operations', options.operations ?? 10, 0);
  }

  init(ctx: Ctx): void {
    ctx.setTimer({ type: 'NextOp' }, ctx.rng.uniform(0, this.options.thinkMs ?? 5));
  }

  private send(ctx: Ctx, to: NodeId, request: ClientRequest): void {
    const msg = { type: 'Request' as const, request };
    ctx.send(to, { ...msg, mac: macFor(this.options.keySeed, ctx.id, to, msg) });
  }

  onTimer(timer: PbftClientTimer, ctx: Ctx): void {
    const s = this.state;
    if (timer.type === 'NextOp') {
      if (s.current || s.done >= this.operations) return;
      if (this.options.stopAtMs !== undefined && ctx.now() >= this.options.stopAtMs) return;
      s.timestamp++;
      const op = `op${s.timestamp}`;
      const unsigned = { client: ctx.id, timestamp: s.timestamp, op, sig: '' };
      const request = { ...unsigned, sig: sign(this.options.keySeed, ctx.id, unsigned) };
      s.current = { timestamp: s.timestamp, opId: ctx.invoke(ctx.id, 'op', op), request, replies: {} };
      const replicas = this.options.replicas;
      this.send(ctx, replicas[s.view % replicas.length], request);
      ctx.setTimer({ type: 'Retransmit', timestamp: s.timestamp }, this.options.retransmitMs ?? 200);
      return;
    }
    if (!s.current || s.current.timestamp !== timer.timestamp) return;
    for (const r of this.options.replicas) this.send(ctx, r, s.current.request);
    ctx.setTimer(timer, this.options.retransmitMs ?? 200);
  }

  onMessage(from: NodeId, msg: PbftMessage, ctx: Ctx): void {
    const s = this.state;
    if (msg.type !== 'Reply' || !verifyMac(this.options.keySeed, from, ctx.id, msg) || msg.replica !== from) return;
    if (!s.current || msg.timestamp !== s.current.timestamp) return;
    s.current.replies[from] = msg.result;
    const matching = Object.values(s.current.replies).filter((r) => r === msg.result).length;
    if (matching < this.options.f + 1) return;
    ctx.complete(s.current.opId, 'ok', msg.result);
    s.view = Math.max(s.view, msg.view);
    s.current = null;
    s.done++;
    ctx.setTimer({ type: 'NextOp' }, this.options.thinkMs ?? 5);
  }
}
