import { NodeId, copyData } from '../core';
import { Context } from '../sim/node';
import type { ModelNode } from './explore';

/**
 * Plants the classic durability bug in a correct node: every `ctx.persist` of a handler is
 * held back and written only after the handler returns, that is after its replies went out
 * (a write-back cache, or a reply sent before the fsync). A crash between the reply and the
 * write then forgets a promise the node already made: Lamport, "Paxos Made Simple" §2.2 end,
 * "an acceptor must remember this information even if it fails and then restarts". With
 * mid-handler crashes (`crashes` in a model) the model checker finds it.
 *
 * @example
 *   const node = persistAfterReply(new Acceptor()); // a node that replies, then persists
 */
export function persistAfterReply<M, T>(inner: ModelNode<M, T>): ModelNode<M, T> {
  return new PersistAfterReply(inner);
}

class PersistAfterReply<M, T> implements ModelNode<M, T> {
  constructor(private readonly inner: ModelNode<M, T>) {}

  get state(): unknown {
    return this.inner.state;
  }
  set state(value: unknown) {
    this.inner.state = value;
  }

  init(ctx: Context<M, T>): void {
    this.inner.init?.(ctx);
  }

  onMessage(from: NodeId, msg: M, ctx: Context<M, T>): void {
    this.deferWrites(ctx, (deferred) => this.inner.onMessage(from, msg, deferred));
  }

  onTimer(timer: T, ctx: Context<M, T>): void {
    this.deferWrites(ctx, (deferred) => this.inner.onTimer(timer, deferred));
  }

  private deferWrites(ctx: Context<M, T>, handler: (ctx: Context<M, T>) => void): void {
    const writes: [string, unknown][] = [];
    handler({
      id: ctx.id,
      nodes: ctx.nodes,
      get rng() {
        return ctx.rng;
      },
      now: () => ctx.now(),
      send: (to, msg) => ctx.send(to, msg),
      broadcast: (msg, to) => ctx.broadcast(msg, to),
      setTimer: (timer, delayMs) => ctx.setTimer(timer, delayMs),
      cancelTimer: (timerId) => ctx.cancelTimer(timerId),
      persist: (key, value) => writes.push([key, copyData(value)]),
      load: (key) => ctx.load(key),
      annotate: (text, data) => ctx.annotate(text, data),
      invoke: (process, f, value) => ctx.invoke(process, f, value),
      complete: (opId, type, value) => ctx.complete(opId, type, value),
    });
    for (const [key, value] of writes) ctx.persist(key, value);
  }
}
