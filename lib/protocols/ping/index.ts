import { NodeId } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';

/**
 * The smallest protocol: a node pings a peer, the peer answers with a pong, and the
 * pinger pings again when the pong arrives (or when its retry timer fires, if the ping or
 * pong was lost). The course's first notebook uses it to show the simulator; the benchmark
 * uses it to measure events per second.
 */
export type PingMessage = { type: 'Ping'; seq: number } | { type: 'Pong'; seq: number };
export type PingTimer = { type: 'Retry'; seq: number };

export class PingNode implements ProtocolNode<PingMessage, PingTimer> {
  /** Pongs received so far (volatile: a crash forgets it). */
  pongs = 0;
  private seq = 0;

  constructor(
    private readonly peer: NodeId | null,
    private readonly retryMs = 100,
  ) {}

  init(ctx: Context<PingMessage, PingTimer>): void {
    if (this.peer !== null) this.ping(ctx);
  }

  onMessage(from: NodeId, msg: PingMessage, ctx: Context<PingMessage, PingTimer>): void {
    switch (msg.type) {
      case 'Ping':
        ctx.send(from, { type: 'Pong', seq: msg.seq });
        return;
      case 'Pong':
        if (msg.seq !== this.seq) return; // a duplicate or a late answer
        this.pongs++;
        this.seq++;
        this.ping(ctx);
        return;
    }
  }

  onTimer(timer: PingTimer, ctx: Context<PingMessage, PingTimer>): void {
    if (timer.seq === this.seq) this.ping(ctx); // still waiting: the ping or its pong was lost
  }

  private ping(ctx: Context<PingMessage, PingTimer>): void {
    ctx.send(this.peer as NodeId, { type: 'Ping', seq: this.seq });
    if (this.retryMs > 0) ctx.setTimer({ type: 'Retry', seq: this.seq }, this.retryMs);
  }
}
