import { localTxnNote, LocalTxnNote } from '../../checkers/tcc';
import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { noteLockAcquired, noteLockReleased } from '../twophase/locks';
import { Account, BranchRecord, BranchRequest, TccMessage, TccParticipantTimer } from './messages';
import { TccRules, checkBranchResult, resolveTccRules } from './rules';

/** What a store (a TCC participant) needs to know. */
export interface TccParticipantOptions {
  /** Its accounts and their opening balances (used on the very first start only). */
  accounts: Record<string, number>;
  /**
   * How long one local transaction holds its account's row lock (virtual ms, default 1). The
   * handlers themselves take no time; this models the local database work of a Try, Confirm or
   * Cancel, so that requests on one account queue behind each other as in a real store.
   * 0: each local transaction commits at once, with no queue.
   */
  localTxnMs?: number;
  /** The Try / Confirm / Cancel rules (a learner's fit here); the references by default. */
  rules?: Partial<TccRules>;
}

/** A request waiting for its account's lock. */
interface QueuedRequest {
  from: NodeId;
  step: 'try' | 'confirm' | 'cancel';
  request: BranchRequest;
}

/** A store's state: plain data. `accounts` and `branches` mirror durable storage; `queues` and `busy` are volatile. */
export interface TccParticipantState {
  accounts: Record<string, Account>;
  /** Branch records loaded or written since the last start, by `${txn}/${branch}`. */
  branches: Record<string, BranchRecord>;
  queues: Record<string, QueuedRequest[]>;
  /** Accounts whose lock is held by the local transaction at the head of their queue. */
  busy: Record<string, number>;
  serial: number;
}

type Ctx = Context<TccMessage, TccParticipantTimer>;

/** Durable keys: one per account and one per branch record (the TCC fence table's rows). */
export const accountKey = (account: string): string => `account:${account}`;
export const branchKey = (txn: string, branch: string): string => `branch:${txn}/${branch}`;

/**
 * A TCC participant: one store (one bank service) with its accounts and its branch table
 * (Seata's TCC fence; Hmily and ByteTCC keep the same table). Each Try, Confirm or Cancel is
 * one local transaction: it takes the account's row lock (requests on one account queue), asks
 * the rule what to do with (branch record, account, request), then writes the account and the
 * branch record together and replies. Both writes happen in one handler, so a crash keeps both
 * or neither; a crash before the commit loses the queued and running requests, and the
 * transaction manager's retries bring them back.
 *
 * Annotations: 'local txn' (what the checker replays), 'reserved' / 'released' (a reservation
 * from Try to Confirm or Cancel), 'lock acquired' / 'lock released' (the local row lock),
 * 'refused' (a Try refused: insufficient funds, or after its Cancel).
 *
 * @example
 *   sim.addNode('bank-a', () => new TccParticipant({ accounts: { a0: 1000, a1: 1000 } }));
 */
export class TccParticipant implements ProtocolNode<TccMessage, TccParticipantTimer> {
  readonly state: TccParticipantState = { accounts: {}, branches: {}, queues: {}, busy: {}, serial: 0 };
  private readonly rules: TccRules;
  private readonly localTxnMs: number;

  constructor(private readonly options: TccParticipantOptions) {
    this.rules = resolveTccRules(options.rules);
    this.localTxnMs = options.localTxnMs ?? 1;
  }

  init(ctx: Ctx): void {
    for (const [name, opening] of Object.entries(this.options.accounts)) {
      const stored = ctx.load<Account>(accountKey(name));
      if (stored !== undefined) {
        this.state.accounts[name] = stored;
      } else {
        this.state.accounts[name] = { balance: opening, frozen: 0, pending: 0 };
        ctx.persist(accountKey(name), this.state.accounts[name]);
      }
    }
  }

  onMessage(from: NodeId, msg: TccMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Try':
      case 'Confirm':
      case 'Cancel': {
        const request: BranchRequest = { txn: msg.txn, branch: msg.branch, account: msg.account, amount: msg.amount };
        const step = msg.type === 'Try' ? 'try' : msg.type === 'Confirm' ? 'confirm' : 'cancel';
        if (this.state.accounts[request.account] === undefined) {
          ctx.send(from, { type: replyType(step), txn: msg.txn, branch: msg.branch, ok: false, state: 'none', reason: 'no such account' });
          return;
        }
        this.enqueue({ from, step, request }, ctx);
        return;
      }
      case 'TryReply':
      case 'ConfirmReply':
      case 'CancelReply':
        return; // for the transaction manager
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: TccParticipantTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'LocalCommit':
        if (this.state.busy[timer.account] !== timer.serial) return; // stale
        this.commitHead(timer.account, ctx);
        return;
      default:
        return assertNever(timer.type, 'timer');
    }
  }

  /** Queues a request behind its account's lock; starts it if the lock is free. */
  private enqueue(item: QueuedRequest, ctx: Ctx): void {
    const queue = (this.state.queues[item.request.account] ??= []);
    queue.push(item);
    if (this.state.busy[item.request.account] === undefined) this.startHead(item.request.account, ctx);
  }

  /** The head of the account's queue takes the row lock; it commits `localTxnMs` later. */
  private startHead(account: string, ctx: Ctx): void {
    const head = this.state.queues[account]?.[0];
    if (head === undefined) return;
    const serial = ++this.state.serial;
    this.state.busy[account] = serial;
    noteLockAcquired(ctx, head.request.txn);
    if (this.localTxnMs === 0) this.commitHead(account, ctx);
    else ctx.setTimer({ type: 'LocalCommit', account, serial }, this.localTxnMs);
  }

  /** One local transaction: the rule, then account and branch record written together, then the reply. */
  private commitHead(account: string, ctx: Ctx): void {
    const queue = this.state.queues[account];
    const item = queue.shift() as QueuedRequest;
    delete this.state.busy[account];
    const { request, step, from } = item;
    const key = branchKey(request.txn, request.branch);
    const before = this.state.branches[key] ?? ctx.load<BranchRecord>(key);
    const current = this.state.accounts[account];
    const rule = step === 'try' ? 'tryBranch' : step === 'confirm' ? 'confirmBranch' : 'cancelBranch';
    const result = checkBranchResult(rule, this.rules[rule](copyData(before), copyData(current), copyData(request)),
      () => `record ${JSON.stringify(before) ?? 'undefined'}, account ${JSON.stringify(current)}, request ${JSON.stringify(request)}`);
    const { change, reply } = result;
    const after = result.record;
    const moved = change.balance !== 0 || change.frozen !== 0 || change.pending !== 0;
    if (moved) {
      current.balance += change.balance;
      current.frozen += change.frozen;
      current.pending += change.pending;
      ctx.persist(accountKey(account), current);
    }
    if (after !== undefined && JSON.stringify(after) !== JSON.stringify(before)) {
      this.state.branches[key] = copyData(after);
      ctx.persist(key, after);
    } else if (before !== undefined) {
      this.state.branches[key] = before;
    }
    const note: LocalTxnNote = {
      txn: request.txn, branch: request.branch, step, account,
      before: before?.state ?? 'none', after: after?.state ?? 'none', change: { ...change },
    };
    ctx.annotate(localTxnNote, note);
    this.noteReservation(note, after?.amount ?? request.amount, ctx);
    if (step === 'try' && !reply.ok) ctx.annotate('refused', { txn: request.txn, branch: request.branch, reason: reply.reason ?? reply.state });
    noteLockReleased(ctx, request.txn, 'commit'); // the local transaction commits; the business answer is in the reply
    ctx.send(from, { type: replyType(step), txn: request.txn, branch: request.branch, ...reply });
    this.startHead(account, ctx);
  }

  /** 'reserved' when a branch becomes TRIED, 'released' when a TRIED branch is confirmed or cancelled. */
  private noteReservation(note: LocalTxnNote, amount: number, ctx: Ctx): void {
    const data = { txn: note.txn, branch: note.branch, account: note.account, amount };
    if (note.after === 'tried' && note.before !== 'tried') ctx.annotate('reserved', data);
    if (note.before === 'tried' && note.after !== 'tried') ctx.annotate('released', { ...data, outcome: note.after === 'confirmed' ? 'confirm' : 'cancel' });
  }
}

function replyType(step: 'try' | 'confirm' | 'cancel'): 'TryReply' | 'ConfirmReply' | 'CancelReply' {
  return step === 'try' ? 'TryReply' : step === 'confirm' ? 'ConfirmReply' : 'CancelReply';
}
