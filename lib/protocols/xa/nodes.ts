import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { Transfer } from '../transfer';
import { appendLog, readLog } from '../twophase/log';
import { lockAcquiredNote, lockReleasedNote } from '../twophase/locks';
import { RmTimer, TmTimer, XaMessage, XaReply, XaRequest } from './messages';
import { TmLogRecord } from './recovery';
import { EmbeddedStore, StoreEvents, WalRecord } from './store';
import { TmAction, TransactionManager, TransactionManagerOptions } from './tm';
import { XAER_PROTO, Xid, xidToString } from './xid';

/**
 * The simulator's nodes of the DTP model: an AP+TM node (the application submits transfers,
 * its TM runs them with XA) and an RM node per store (the embedded store). Both keep their
 * durable state through `ctx.persist` (the twophase log helpers: one key per record), so a
 * crash loses exactly what a real process loses.
 *
 * Trace notes they leave (read by the checkers and charts):
 *   RM: 'commit' / 'abort' { txn: gtrid }  when a branch's outcome is final at that store
 *       'lock acquired' / 'lock released' { txn, account }  per row lock (the twophase names)
 *   TM: 'begin', 'decision', 'recovery plan', 'transfer done' { transfer, txn, outcome }
 */

/** Where a TM may crash in the notebook's "crash at each step" table (first life only). */
export type TmCrashPoint = 'before-prepare' | 'after-one-prepare' | 'after-prepares' | 'after-commit-record' | 'after-one-commit';

export interface XaTmNodeOptions extends Omit<TransactionManagerOptions, 'name'> {
  /** The transfers this AP submits, each at its atMs. */
  transfers: Transfer[];
  /**
   * In its first life, stop dead at this point (the actions from there on never happen) and
   * note 'crash point'; the caller then crashes the node (see scenarios.ts).
   */
  crashAt?: TmCrashPoint;
}

type TmCtx = Context<XaMessage, TmTimer | { type: 'Submit'; transfer: string }>;

/**
 * The AP+TM node: submits its transfers on time and runs the sans-IO TransactionManager,
 * carrying out its actions (a `log` action is a ctx.persist, durable at once).
 * After a restart, transfers due while it was down are not submitted (the AP went down too).
 *
 * @example
 *   sim.addNode('tm', () => new XaTmNode({ rms: ['bank-a', 'bank-b'], transfers: workload.transfers }));
 */
export class XaTmNode implements ProtocolNode<XaMessage, TmTimer | { type: 'Submit'; transfer: string }> {
  tm!: TransactionManager;
  private logLength = 0;
  private halted = false;
  private watch = new CrashPointWatch(undefined);

  constructor(private readonly options: XaTmNodeOptions) {}

  init(ctx: TmCtx): void {
    const incarnation = (ctx.load<number>('incarnation') ?? 0) + 1;
    if (incarnation === 1) this.watch = new CrashPointWatch(this.options.crashAt);
    ctx.persist('incarnation', incarnation);
    this.tm = new TransactionManager({ ...this.options, name: ctx.id });
    const log = readLog<TmLogRecord>(ctx);
    this.logLength = log.length;
    this.execute(this.tm.start(log, incarnation), ctx);
    for (const t of this.options.transfers) {
      if (t.atMs >= ctx.now()) ctx.setTimer({ type: 'Submit', transfer: t.id }, t.atMs - ctx.now());
    }
  }

  onMessage(from: NodeId, msg: XaMessage, ctx: TmCtx): void {
    if (this.halted) return;
    if (msg.type === 'xa_reply' || msg.type === 'xa_recover_reply') this.execute(this.tm.onReply(from, msg), ctx);
  }

  onTimer(timer: TmTimer | { type: 'Submit'; transfer: string }, ctx: TmCtx): void {
    if (this.halted) return;
    if (timer.type === 'Submit') {
      const transfer = this.options.transfers.find((t) => t.id === timer.transfer);
      if (transfer) this.execute(this.tm.submit(transfer), ctx);
      return;
    }
    this.execute(this.tm.onTimer(timer), ctx);
  }

  private execute(actions: TmAction[], ctx: TmCtx): void {
    for (const action of actions) {
      if (this.halted) return;
      if (this.watch.reaches(action)) {
        this.halted = true;
        ctx.annotate('crash point', { at: this.options.crashAt });
        return;
      }
      switch (action.type) {
        case 'send':
          ctx.send(action.to, action.msg);
          break;
        case 'log':
          this.logLength = appendLog(ctx, this.logLength, action.record);
          break;
        case 'timer':
          ctx.setTimer(action.timer, action.delayMs);
          break;
        case 'note':
          ctx.annotate(action.text, action.data);
          break;
        case 'outcome':
          ctx.annotate('transfer done', { transfer: action.transfer, txn: action.gtrid, outcome: action.outcome, reason: action.reason });
          break;
        default:
          assertNever(action, 'action');
      }
    }
  }
}

/**
 * Watches a TM's actions for a crash point: `reaches(action)` is true for the first action
 * that must not happen any more (the TM crashed just before it). Shared by the TM node and the
 * async driver, so "after both prepares" means the same thing on the simulator and on PostgreSQL.
 */
export class CrashPointWatch {
  private readonly prepared = new Set<string>();
  private readonly committed = new Set<string>();

  constructor(readonly point: TmCrashPoint | undefined) {}

  reaches(action: TmAction): boolean {
    const distinct = (set: Set<string>, xid: Xid) => {
      set.add(xidToString(xid));
      return set.size;
    };
    switch (this.point) {
      case 'before-prepare':
        return action.type === 'send' && action.msg.type === 'xa_prepare';
      case 'after-one-prepare':
        return action.type === 'send' && action.msg.type === 'xa_prepare' && distinct(this.prepared, action.msg.xid) === 2;
      case 'after-prepares':
        return action.type === 'log' && action.record.type === 'commit';
      case 'after-commit-record':
        return action.type === 'send' && action.msg.type === 'xa_commit';
      case 'after-one-commit':
        return action.type === 'send' && action.msg.type === 'xa_commit' && distinct(this.committed, action.msg.xid) === 2;
      case undefined:
        return false;
      default:
        return assertNever(this.point, 'crash point');
    }
  }
}

export interface XaRmNodeOptions {
  /** Opening balances of this store's accounts (written to the WAL on the first start). */
  balances: Record<string, number>;
  /** How long an update waits for a row lock before its branch is rolled back (ms; PostgreSQL's lock_timeout). */
  lockWaitTimeoutMs: number;
  /** How long a branch may stay unprepared before the RM rolls it back (ms; XA's transaction timeout). */
  branchTimeoutMs: number;
}

type RmCtx = Context<XaMessage, RmTimer>;

/**
 * An RM node: the embedded store (store.ts) behind XA messages. Each answer is remembered by
 * request id (volatile), so a duplicated or re-sent request gets the same answer; an update
 * that waits for a lock is answered when it is granted or when its lock wait times out.
 * Restart: the WAL is replayed (prepared branches come back with their locks).
 *
 * @example
 *   sim.addNode('bank-a', () => new XaRmNode({ balances: { a0: 1000 }, lockWaitTimeoutMs: 50, branchTimeoutMs: 500 }));
 */
export class XaRmNode implements ProtocolNode<XaMessage, RmTimer> {
  store!: EmbeddedStore;
  private walLength = 0;
  /** Answers by `${from}/${reqId}`: null while the update waits for its lock. */
  private readonly answers = new Map<string, XaReply | null>();
  /** Who waits for the answer of a queued update, by xid key. */
  private readonly waiting = new Map<string, { from: NodeId; request: XaRequest }>();

  constructor(private readonly options: XaRmNodeOptions) {}

  init(ctx: RmCtx): void {
    const events = this.events(ctx);
    const wal = readLog<WalRecord>(ctx);
    this.walLength = wal.length;
    this.store = wal.length === 0 ? EmbeddedStore.create(this.options.balances, events) : EmbeddedStore.recover(wal, events, ctx.now());
  }

  onMessage(from: NodeId, msg: XaMessage, ctx: RmCtx): void {
    switch (msg.type) {
      case 'xa_recover':
        return ctx.send(from, { type: 'xa_recover_reply', scan: msg.scan, xids: this.store.recover() });
      case 'xa_start':
      case 'update':
      case 'xa_end':
      case 'xa_prepare':
      case 'xa_commit':
      case 'xa_rollback':
        return this.onRequest(from, msg, ctx);
      case 'xa_reply':
      case 'xa_recover_reply':
        return;
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: RmTimer, ctx: RmCtx): void {
    if (timer.type === 'LockWait') this.store.lockWaitExpired(timer.xid);
    else this.store.branchExpired(timer.xid);
  }

  private onRequest(from: NodeId, msg: XaRequest, ctx: RmCtx): void {
    const key = `${from}/${msg.reqId}`;
    if (this.answers.has(key)) {
      const answer = this.answers.get(key);
      if (answer) ctx.send(from, answer);
      return;
    }
    let code: number | 'waiting';
    switch (msg.type) {
      case 'xa_start':
        code = this.store.start(msg.xid, ctx.now());
        if (code === 0) ctx.setTimer({ type: 'BranchTimeout', xid: msg.xid }, this.options.branchTimeoutMs);
        break;
      case 'update':
        code = this.store.update(msg.xid, msg.account, msg.delta);
        if (code === 'waiting') {
          this.waiting.set(xidToString(msg.xid), { from, request: msg });
          ctx.setTimer({ type: 'LockWait', xid: msg.xid }, this.options.lockWaitTimeoutMs);
        }
        break;
      case 'xa_end':
        code = this.store.end(msg.xid);
        break;
      case 'xa_prepare':
        code = this.store.prepare(msg.xid);
        break;
      case 'xa_commit':
        code = this.store.commit(msg.xid, msg.onePhase);
        break;
      case 'xa_rollback':
        code = this.store.rollback(msg.xid);
        break;
      default:
        code = XAER_PROTO;
    }
    if (code === 'waiting') {
      this.answers.set(key, null);
      return;
    }
    this.answer(from, msg, code, ctx);
  }

  private answer(to: NodeId, request: XaRequest, code: number, ctx: RmCtx): void {
    const reply: XaReply = { type: 'xa_reply', call: request.type, reqId: request.reqId, xid: request.xid, code };
    this.answers.set(`${to}/${request.reqId}`, reply);
    ctx.send(to, reply);
  }

  private events(ctx: RmCtx): StoreEvents {
    return {
      wal: (record) => {
        this.walLength = appendLog(ctx, this.walLength, record);
      },
      lockAcquired: (xid, account, recovered) => ctx.annotate(lockAcquiredNote, recovered ? { txn: xid.gtrid, account, recovered } : { txn: xid.gtrid, account }),
      lockReleased: (xid, account, outcome) => ctx.annotate(lockReleasedNote, { txn: xid.gtrid, account, outcome }),
      outcome: (xid, outcome) => ctx.annotate(outcome, { txn: xid.gtrid }),
      updateDone: (xid, code) => {
        const waiter = this.waiting.get(xidToString(xid));
        if (waiter === undefined) return;
        this.waiting.delete(xidToString(xid));
        this.answer(waiter.from, waiter.request, code, ctx);
      },
    };
  }
}
