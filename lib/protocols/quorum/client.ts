import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { ClientOperation, QuorumMessage, QuorumTimer } from './messages';
import { Version, VersionedValue } from './versions';

/** One client operation as the checks read it: what was asked, what came back, and when. */
export interface OperationRecord {
  /** The simulator's history id (ctx.invoke). */
  opId: number;
  client: NodeId;
  f: 'put' | 'get';
  key: string;
  /** The value written (put) or read (get; null: nothing, or not yet). */
  value: string | null;
  /** The version written (put) or read (get); null when none. */
  version: Version | null;
  /** 'ok'; 'fail' (a get that failed: no effect); 'info' (a put that failed or timed out: it may have been applied); 'pending'. */
  status: 'ok' | 'fail' | 'info' | 'pending';
  via: NodeId;
  invokedMs: number;
  completedMs: number | null;
  /** Why it failed, when it did. */
  reason?: string;
  /**
   * Where the invocation and the completion sit in the simulator's history (its array index):
   * finer than the times, since two events at one virtual time still happen one after the
   * other. Filled in by the cluster's `operations()`.
   */
  invokedIndex?: number;
  completedIndex?: number;
}

/** The client's state, plain data. */
export interface QuorumClientState {
  /** Operations waiting for the one in flight to finish. */
  queue: ClientOperation[];
  /** The operation in flight (its opId), or null. */
  current: number | null;
  log: OperationRecord[];
}

type Ctx = Context<QuorumMessage, QuorumTimer>;

/**
 * A client of the quorum store: it runs the operations it is given (by `Submit` messages, which
 * the cluster builder injects) one at a time, in order, each through the coordinator the
 * operation names; it records each in the simulator's history (for the linearizability
 * checker) and in its own log (with versions, for `readsLatestWrite`). An operation with no
 * answer within `timeoutMs` ends as unknown ('info') for a put and failed for a get.
 *
 * @example
 *   sim.addNode('c1', () => new QuorumClient({ timeoutMs: 500 }));
 *   sim.inject('c1', { type: 'Submit', op: { f: 'put', key: 'x', value: 'a', via: 'n1' } });
 */
export class QuorumClient implements ProtocolNode<QuorumMessage, QuorumTimer> {
  state: QuorumClientState = { queue: [], current: null, log: [] };

  constructor(readonly options: { timeoutMs: number }) {}

  onMessage(_from: NodeId, msg: QuorumMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Submit':
        this.state.queue.push(msg.op);
        return this.next(ctx);
      case 'PutOk':
        return this.finish(msg.op, 'ok', { value: null, version: msg.version }, undefined, ctx);
      case 'PutFailed':
        return this.finish(msg.op, 'info', null, msg.reason, ctx);
      case 'GetOk':
        return this.finish(msg.op, 'ok', msg.record ?? { value: null, version: null }, undefined, ctx);
      case 'GetFailed':
        return this.finish(msg.op, 'fail', null, msg.reason, ctx);
      case 'ClientPut':
      case 'ClientGet':
      case 'Write':
      case 'WriteAck':
      case 'Read':
      case 'ReadReply':
      case 'Repair':
      case 'RepairAck':
      case 'Handoff':
      case 'HandoffAck':
      case 'Digest':
      case 'Push':
      case 'Pull':
        return; // for store nodes
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: QuorumTimer, ctx: Ctx): void {
    if (timer.type === 'ClientTimeout') {
      const record = this.findRecord(timer.op);
      if (record) this.finish(timer.op, record.f === 'put' ? 'info' : 'fail', null, `no answer from ${record.via} within ${this.options.timeoutMs} ms`, ctx);
    }
  }

  /** The log entry of `opId` (searched from the newest: it is almost always the last). */
  private findRecord(opId: number): OperationRecord | undefined {
    for (let i = this.state.log.length - 1; i >= 0; i--) if (this.state.log[i].opId === opId) return this.state.log[i];
    return undefined;
  }

  private next(ctx: Ctx): void {
    if (this.state.current !== null) return;
    const op = this.state.queue.shift();
    if (!op) return;
    const opId = ctx.invoke(ctx.id, op.f, op.f === 'put' ? { key: op.key, value: op.value } : { key: op.key });
    this.state.current = opId;
    this.state.log.push({ opId, client: ctx.id, f: op.f, key: op.key, value: op.f === 'put' ? op.value ?? '' : null, version: null, status: 'pending', via: op.via, invokedMs: ctx.now(), completedMs: null });
    if (op.f === 'put') ctx.send(op.via, { type: 'ClientPut', op: opId, key: op.key, value: op.value ?? '', ...(op.level === undefined ? {} : { W: op.level }) });
    else ctx.send(op.via, { type: 'ClientGet', op: opId, key: op.key, ...(op.level === undefined ? {} : { R: op.level }) });
    ctx.setTimer({ type: 'ClientTimeout', op: opId }, this.options.timeoutMs);
  }

  private finish(opId: number, status: 'ok' | 'fail' | 'info', result: { value: string | null; version: Version | null } | VersionedValue | null, reason: string | undefined, ctx: Ctx): void {
    const record = this.findRecord(opId);
    if (!record || record.status !== 'pending') return;
    record.status = status;
    record.completedMs = ctx.now();
    if (reason !== undefined) record.reason = reason;
    if (result) {
      if (record.f === 'get') record.value = result.value;
      record.version = result.version;
    }
    if (record.f === 'get') ctx.complete(opId, status, status === 'ok' ? { key: record.key, value: record.value ?? '' } : undefined);
    else ctx.complete(opId, status);
    if (this.state.current === opId) this.state.current = null;
    this.next(ctx);
  }
}
