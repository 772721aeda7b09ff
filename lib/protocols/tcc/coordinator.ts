import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { appendLog, readLog, recordsByTxn } from '../twophase/log';
import { Transfer } from '../transfer';
import { BranchRole, TccCoordinatorTimer, TccDecision, TccMessage, TxnId } from './messages';

/** What the TCC transaction manager needs to know; times are virtual milliseconds. */
export interface TccCoordinatorOptions {
  /** The workload: each transfer starts at its `atMs` (or as soon as the manager is up after that). */
  transfers: readonly Transfer[];
  /** How long to wait for both Try replies before deciding Cancel. */
  tryTimeoutMs: number;
  /** First wait before re-sending Confirm or Cancel to a branch that has not answered; doubled each time. */
  retryMs: number;
  /** The longest wait between two re-sends (the back-off's cap). */
  maxRetryMs: number;
}

/**
 * A record of the manager's durable log: `begin` before the first Try, `decision` (forced)
 * before the first Confirm or Cancel, `end` once both branches answered it.
 */
export type TccLogRecord = { type: 'begin'; txn: TxnId } | { type: 'decision'; txn: TxnId; decision: TccDecision } | { type: 'end'; txn: TxnId };

/** The manager's view of one transfer. `attempt` numbers the current retry chain. */
export interface TccCoordinatorTxn {
  txn: TxnId;
  phase: 'trying' | 'decided' | 'ended';
  tried: BranchRole[];
  decision: TccDecision | null;
  acked: BranchRole[];
  attempt: number;
  /** Current back-off between re-sends of the decision (ms). */
  backoffMs: number;
}

/** All of the manager's state: plain data. */
export interface TccCoordinatorState {
  logLength: number;
  txns: Record<TxnId, TccCoordinatorTxn>;
}

type Ctx = Context<TccMessage, TccCoordinatorTimer>;

const roles: readonly BranchRole[] = ['debit', 'credit'];

/**
 * The transaction manager of TCC, inside the application (as Seata's TM and Hmily's are): for
 * each transfer it logs `begin`, sends Try to both stores (the debit branch where the money
 * leaves, the credit branch where it arrives) and re-sends it once to a silent store half-way
 * to the Try timeout. Both Try replies ok -> Confirm; a refusal, or the Try timeout -> Cancel.
 * The decision is forced to the log before it is sent, then re-sent with exponential back-off
 * until both stores answer; then `end`.
 *
 * Recovery from the log after a crash: `begin` without a decision -> Cancel (a Try may still be
 * on its way to a store: the Cancel can overtake it, which is why the stores handle empty
 * rollbacks and refuse a Try after its Cancel); a decision without `end` -> re-send it;
 * `end` -> nothing. A transfer whose `begin` is not in the log was never tried: it starts anew.
 *
 * Annotations: 'begin', 'decision' { txn, decision }, 'end' { txn, decision }, 'recovered',
 * 'unexpected reply' (a store answered with another final state: a bug elsewhere).
 *
 * @example
 *   sim.addNode('app', () => new TccCoordinator({ transfers: workload.transfers, tryTimeoutMs: 50, retryMs: 20, maxRetryMs: 160 }));
 */
export class TccCoordinator implements ProtocolNode<TccMessage, TccCoordinatorTimer> {
  readonly state: TccCoordinatorState = { logLength: 0, txns: {} };
  private readonly byId: Map<TxnId, Transfer>;

  constructor(private readonly options: TccCoordinatorOptions) {
    this.byId = transferIndex(options.transfers);
  }

  init(ctx: Ctx): void {
    const log = readLog<TccLogRecord>(ctx);
    this.state.logLength = log.length;
    for (const [txn, records] of recordsByTxn(log)) {
      const t = this.track(txn);
      for (const record of records) {
        if (record.type === 'decision') {
          t.phase = 'decided';
          t.decision = record.decision;
        } else if (record.type === 'end') {
          t.phase = 'ended';
          t.acked = roles.slice();
        }
      }
      if (t.phase === 'trying') {
        ctx.annotate('recovered', { txn, found: 'begin without a decision', action: 'cancel' });
        this.decide(t, 'cancel', ctx);
      } else if (t.phase === 'decided') {
        ctx.annotate('recovered', { txn, found: `decision ${t.decision}`, action: 're-send until both stores answer' });
        this.sendDecision(t, ctx);
      }
    }
    for (const transfer of this.options.transfers) {
      if (this.state.txns[transfer.id] === undefined) {
        ctx.setTimer({ type: 'StartTransfer', txn: transfer.id }, Math.max(0, transfer.atMs - ctx.now()));
      }
    }
  }

  onMessage(from: NodeId, msg: TccMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'TryReply': {
        const t = this.state.txns[msg.txn] as TccCoordinatorTxn | undefined;
        if (t?.phase !== 'trying' || from !== this.storeOf(msg.txn, msg.branch)) return;
        if (!msg.ok) return this.decide(t, 'cancel', ctx);
        if (!t.tried.includes(msg.branch)) t.tried.push(msg.branch);
        if (t.tried.length === roles.length) this.decide(t, 'confirm', ctx);
        return;
      }
      case 'ConfirmReply':
      case 'CancelReply':
        return this.onDecisionReply(from, msg.txn, msg.branch, msg.type === 'ConfirmReply' ? 'confirm' : 'cancel', msg.state, ctx);
      case 'Try':
      case 'Confirm':
      case 'Cancel':
        return; // sent to stores, never to the manager
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: TccCoordinatorTimer, ctx: Ctx): void {
    const t = this.state.txns[timer.txn] as TccCoordinatorTxn | undefined;
    switch (timer.type) {
      case 'StartTransfer':
        if (t === undefined) this.begin(timer.txn, ctx);
        return;
      case 'TryRetry':
        if (t?.phase !== 'trying') return;
        for (const role of roles) if (!t.tried.includes(role)) this.sendBranch('Try', t.txn, role, ctx);
        return;
      case 'TryTimeout':
        if (t?.phase === 'trying') this.decide(t, 'cancel', ctx);
        return;
      case 'DecisionRetry':
        if (t?.phase !== 'decided' || timer.attempt !== t.attempt) return; // stale
        t.backoffMs = Math.min(t.backoffMs * 2, this.options.maxRetryMs);
        this.sendDecision(t, ctx);
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  /** Try phase: force-log begin, then Try both branches. */
  private begin(txn: TxnId, ctx: Ctx): void {
    this.state.logLength = appendLog<TccLogRecord>(ctx, this.state.logLength, { type: 'begin', txn });
    this.track(txn);
    ctx.annotate('begin', { txn });
    for (const role of roles) this.sendBranch('Try', txn, role, ctx);
    ctx.setTimer({ type: 'TryTimeout', txn }, this.options.tryTimeoutMs);
    ctx.setTimer({ type: 'TryRetry', txn }, this.options.tryTimeoutMs / 2);
  }

  /** Force-log the decision, then send it (and re-send until both stores answer). */
  private decide(t: TccCoordinatorTxn, decision: TccDecision, ctx: Ctx): void {
    this.state.logLength = appendLog<TccLogRecord>(ctx, this.state.logLength, { type: 'decision', txn: t.txn, decision });
    t.phase = 'decided';
    t.decision = decision;
    ctx.annotate('decision', { txn: t.txn, decision });
    this.sendDecision(t, ctx);
  }

  private sendDecision(t: TccCoordinatorTxn, ctx: Ctx): void {
    for (const role of roles) if (!t.acked.includes(role)) this.sendBranch(t.decision === 'confirm' ? 'Confirm' : 'Cancel', t.txn, role, ctx);
    t.attempt++;
    ctx.setTimer({ type: 'DecisionRetry', txn: t.txn, attempt: t.attempt }, t.backoffMs);
  }

  private onDecisionReply(from: NodeId, txn: TxnId, branch: BranchRole, kind: TccDecision, state: string, ctx: Ctx): void {
    const t = this.state.txns[txn] as TccCoordinatorTxn | undefined;
    if (t?.phase !== 'decided' || t.decision !== kind || from !== this.storeOf(txn, branch) || t.acked.includes(branch)) return;
    const expected = kind === 'confirm' ? 'confirmed' : 'cancelled';
    if (state !== expected) ctx.annotate('unexpected reply', { txn, branch, decision: kind, state });
    t.acked.push(branch);
    if (t.acked.length < roles.length) return;
    this.state.logLength = appendLog<TccLogRecord>(ctx, this.state.logLength, { type: 'end', txn });
    t.phase = 'ended';
    t.attempt++; // ends the retry chain
    ctx.annotate('end', { txn, decision: t.decision });
  }

  private sendBranch(type: 'Try' | 'Confirm' | 'Cancel', txn: TxnId, branch: BranchRole, ctx: Ctx): void {
    const transfer = this.byId.get(txn) as Transfer;
    const side = branch === 'debit' ? transfer.from : transfer.to;
    ctx.send(side.store, { type, txn, branch, account: side.account, amount: transfer.amount });
  }

  private storeOf(txn: TxnId, branch: BranchRole): NodeId | undefined {
    const transfer = this.byId.get(txn);
    return transfer === undefined ? undefined : branch === 'debit' ? transfer.from.store : transfer.to.store;
  }

  private track(txn: TxnId): TccCoordinatorTxn {
    let t = this.state.txns[txn] as TccCoordinatorTxn | undefined;
    if (t === undefined) {
      t = { txn, phase: 'trying', tried: [], decision: null, acked: [], attempt: 0, backoffMs: this.options.retryMs };
      this.state.txns[txn] = t;
    }
    return t;
  }
}

const indexes = new WeakMap<readonly Transfer[], Map<TxnId, Transfer>>();

/** The transfers by id, built once per array (a restarted manager shares it). */
function transferIndex(transfers: readonly Transfer[]): Map<TxnId, Transfer> {
  let index = indexes.get(transfers);
  if (!index) {
    index = new Map(transfers.map((t) => [t.id, t]));
    indexes.set(transfers, index);
  }
  return index;
}
