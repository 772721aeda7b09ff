import { ConfigError, assertNever, requireNumberInRange } from '../../core';
import { Transfer } from '../transfer';
import { RecoverReply, RecoverRequest, TmTimer, XaCall, XaReply, XaRequest } from './messages';
import { RecoveryRule, TmLogRecord, checkRecoveryPlan, resolveRecoveryRule } from './recovery';
import { Xid, XAER_NOTA, XA_OK, XA_RDONLY, gtridOf, makeXid, xaCodeName, xidToString } from './xid';

/**
 * The transaction manager (事务管理器, TM) of the X/Open DTP model as a sans-IO state machine
 * (the shape of etcd-io/raft's `Step`): events go in (a transfer to run, an RM's reply, a
 * timer), actions come out (send a request, force a log record, set a timer, report an
 * outcome). It does no I/O, so the same logic drives the simulator's TM node (nodes.ts) and
 * the async driver over real databases (driver.ts). The host must carry out the actions in
 * order, and a `log` action must be durable before the actions after it run: that is the rule
 * of two-phase commit (Gray 1978 §5.8.3; BHG §7.4) that makes recovery possible.
 *
 * One transfer is one global transaction with two branches (one per store):
 *   xa_start -> update -> xa_end -> xa_prepare   at both RMs, in parallel;
 *   every prepare XA_OK -> force `commit` record -> xa_commit at both -> `end` record;
 *   any failure, or the voting deadline -> xa_rollback at both (presumed abort: no record).
 * Requests are re-sent until answered (the network may lose them): after `retryMs`, then
 * backing off to at most 8 x retryMs.
 *
 * Recovery: at start and every `scanIntervalMs`, the TM calls xa_recover at every RM and asks
 * the recovery rule (recovery.ts, the exercise) what to do with each prepared branch that is
 * not part of a transaction it is running; it carries out the plan, and writes `end` for the
 * transactions the plan says are finished, then forgets them. Periodic scans (as Narayana's
 * recovery manager does) also catch a branch that a late, duplicated xa_prepare prepared
 * after its transaction had already been rolled back.
 *
 * One-phase commit (TMONEPHASE) is not used: a transfer always has two branches. The RMs
 * support it (`commit(xid, true)` on an idle branch).
 *
 * @example
 *   const tm = new TransactionManager({ name: 'tm', rms: ['bank-a', 'bank-b'] });
 *   let actions = tm.start([], 1);                  // a scan of both RMs
 *   actions = tm.submit(transfer, 0);               // xa_start to both RMs
 *   actions = tm.onReply('bank-a', reply, 3);       // ... and so on
 */
export interface TransactionManagerOptions {
  /** The TM's name: its gtrids are `<name>.<transfer id>` (so it can tell its xids from other TMs'). */
  name: string;
  /** The RMs (stores) it may use. */
  rms: string[];
  /** Re-send an unanswered request after this long (ms, default 20). */
  retryMs?: number;
  /** Roll back a transaction not prepared everywhere after this long (ms, default 300). */
  votingTimeoutMs?: number;
  /** Scan the RMs for in-doubt branches this often (ms, default 100). */
  scanIntervalMs?: number;
  /** The recovery decision (a learner's fits here); the reference by default. */
  recovery?: RecoveryRule;
}

/** What the host must do, in order. */
export type TmAction =
  | { type: 'send'; to: string; msg: XaRequest | RecoverRequest }
  | { type: 'log'; record: TmLogRecord }
  | { type: 'timer'; timer: TmTimer; delayMs: number }
  | { type: 'note'; text: string; data: Record<string, unknown> }
  | { type: 'outcome'; transfer: string; gtrid: string; outcome: 'committed' | 'rolled back'; reason: string };

/** Where a branch is in its life, as the TM sees it. */
export type TmBranchStep = 'xa_start' | 'update' | 'xa_end' | 'xa_prepare' | 'prepared' | 'xa_commit' | 'xa_rollback' | 'done';

export interface TmBranch {
  rm: string;
  xid: Xid;
  account: string;
  delta: number;
  step: TmBranchStep;
  /** The outstanding request's id, or null. */
  reqId: string | null;
}

export interface TmTransaction {
  gtrid: string;
  transfer: string;
  phase: 'working' | 'committing' | 'rolling back' | 'done';
  branches: TmBranch[];
  reason: string;
}

/** All of the TM's state, plain data. `log` is its durable log minus what it has forgotten. */
export interface TmState {
  name: string;
  incarnation: number;
  nextRequest: number;
  log: TmLogRecord[];
  txns: Record<string, TmTransaction>;
  /** Outstanding requests: to whom, what, and for which transaction or recovery job. */
  pending: Record<string, { rm: string; msg: XaRequest; gtrid: string | null }>;
  /** Recovery jobs under way, by xid key: the request carrying them out. */
  jobs: Record<string, string>;
  scan: { id: string; lists: Record<string, Xid[] | null>; endedSince: string[] } | null;
  scans: number;
}

export class TransactionManager {
  readonly state: TmState;
  private readonly retryMs: number;
  private readonly votingTimeoutMs: number;
  private readonly scanIntervalMs: number;
  private readonly rule: RecoveryRule;

  constructor(private readonly options: TransactionManagerOptions) {
    if (!options || typeof options.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(options.name)) {
      throw new ConfigError('name', 'a TM name of letters, digits, "_" and "-"', options?.name);
    }
    if (!Array.isArray(options.rms) || options.rms.length === 0) throw new ConfigError('rms', 'a non-empty list of RM names', options.rms);
    this.retryMs = requireNumberInRange('retryMs', options.retryMs ?? 20, 0.001, Infinity);
    this.votingTimeoutMs = requireNumberInRange('votingTimeoutMs', options.votingTimeoutMs ?? 300, 0, Infinity);
    this.scanIntervalMs = requireNumberInRange('scanIntervalMs', options.scanIntervalMs ?? 100, 0.001, Infinity);
    this.rule = resolveRecoveryRule(options.recovery);
    this.state = { name: options.name, incarnation: 0, nextRequest: 1, log: [], txns: {}, pending: {}, jobs: {}, scan: null, scans: 0 };
  }

  /**
   * Start (or restart) from the durable log: forget transactions with an end record, keep the
   * rest, and scan the RMs at once. `incarnation` must grow with every restart (request ids
   * carry it, so an RM never mistakes a new request for an old one).
   */
  start(log: readonly TmLogRecord[], incarnation: number): TmAction[] {
    this.state.incarnation = incarnation;
    const ended = new Set(log.filter((r) => r.type === 'end').map((r) => r.gtrid));
    this.state.log = log.filter((r) => !ended.has(r.gtrid)).map((r) => ({ ...r }));
    const out: TmAction[] = [];
    const open = this.state.log.filter((r) => r.type === 'commit').map((r) => r.gtrid);
    out.push({ type: 'note', text: 'tm started', data: { incarnation, committedNotEnded: open } });
    this.startScan(out, true);
    return out;
  }

  /** The AP submits a transfer: a global transaction with a branch at each store. */
  submit(transfer: Transfer): TmAction[] {
    const gtrid = gtridOf(this.options.name, transfer.id);
    if (this.state.txns[gtrid] !== undefined) return [];
    for (const side of [transfer.from, transfer.to]) {
      if (!this.options.rms.includes(side.store)) throw new ConfigError(`transfer ${transfer.id}`, `stores among ${this.options.rms.join(', ')}`, side.store);
    }
    const branch = (store: string, account: string, delta: number): TmBranch => ({ rm: store, xid: makeXid(gtrid, store), account, delta, step: 'xa_start', reqId: null });
    const t: TmTransaction = {
      gtrid,
      transfer: transfer.id,
      phase: 'working',
      branches: [branch(transfer.from.store, transfer.from.account, -transfer.amount), branch(transfer.to.store, transfer.to.account, transfer.amount)],
      reason: '',
    };
    this.state.txns[gtrid] = t;
    const out: TmAction[] = [{ type: 'note', text: 'begin', data: { txn: gtrid, transfer: transfer.id } }];
    for (const b of t.branches) this.call(t, b, 'xa_start', out);
    out.push({ type: 'timer', timer: { type: 'VotingDeadline', gtrid }, delayMs: this.votingTimeoutMs });
    return out;
  }

  /** An RM answered a request. */
  onReply(from: string, reply: XaReply | RecoverReply): TmAction[] {
    const out: TmAction[] = [];
    if (reply.type === 'xa_recover_reply') {
      const scan = this.state.scan;
      if (scan === null || reply.scan !== scan.id || scan.lists[from] !== undefined) return out;
      scan.lists[from] = reply.xids;
      if (this.options.rms.every((rm) => scan.lists[rm] !== undefined)) this.finishScan(out);
      return out;
    }
    const pending = this.state.pending[reply.reqId];
    if (pending === undefined || pending.rm !== from) return out; // a duplicate, or from an earlier life
    delete this.state.pending[reply.reqId];
    if (pending.gtrid === null) {
      delete this.state.jobs[xidToString(pending.msg.xid)];
      out.push({ type: 'note', text: 'recovered branch', data: { txn: pending.msg.xid.gtrid, rm: from, call: reply.call, code: xaCodeName(reply.code) } });
      // the last job done: scan again at once, so that finished transactions can end
      if (Object.keys(this.state.jobs).length === 0 && this.state.scan === null) this.startScan(out, false);
      return out;
    }
    const t = this.state.txns[pending.gtrid];
    const b = t?.branches.find((x) => x.reqId === reply.reqId);
    if (t === undefined || b === undefined) return out;
    b.reqId = null;
    switch (t.phase) {
      case 'working':
        this.onWorkingReply(t, b, reply, out);
        break;
      case 'committing':
        if (reply.code === XA_OK || reply.code === XAER_NOTA) b.step = 'done'; // NOTA: committed, and the first answer was lost
        else this.call(t, b, 'xa_commit', out);
        if (t.branches.every((x) => x.step === 'done')) this.finish(t, 'committed', out);
        break;
      case 'rolling back':
        b.step = 'done';
        if (t.branches.every((x) => x.step === 'done')) this.finish(t, 'rolled back', out);
        break;
      case 'done':
        break;
      default:
        assertNever(t.phase, 'phase');
    }
    return out;
  }

  /** A timer the host set for this TM fired. */
  onTimer(timer: TmTimer): TmAction[] {
    const out: TmAction[] = [];
    switch (timer.type) {
      case 'Retry': {
        const pending = this.state.pending[timer.reqId];
        if (pending === undefined) break; // answered
        out.push({ type: 'send', to: pending.rm, msg: pending.msg });
        // back off (x2 per attempt, at most 8 x retryMs): an update waiting for a row lock is not lost, just slow
        out.push({ type: 'timer', timer: { ...timer, attempt: timer.attempt + 1 }, delayMs: this.retryMs * Math.min(8, 2 ** (timer.attempt + 1)) });
        break;
      }
      case 'VotingDeadline': {
        const t = this.state.txns[timer.gtrid];
        if (t?.phase === 'working') this.rollbackAll(t, `not prepared within ${this.votingTimeoutMs} ms`, out);
        break;
      }
      case 'Scan':
        if (this.state.scan !== null) this.finishScan(out);
        this.startScan(out, true);
        break;
      default:
        assertNever(timer, 'timer');
    }
    return out;
  }

  /** Starts a recovery scan now (the async driver's `recover()`); the next scan timer is set as usual. */
  scanNow(): TmAction[] {
    const out: TmAction[] = [];
    this.startScan(out, false);
    return out;
  }

  /** True when no transaction, recovery job or scan is under way. */
  idle(): boolean {
    return Object.values(this.state.txns).every((t) => t.phase === 'done') && Object.keys(this.state.jobs).length === 0 && this.state.scan === null;
  }

  private onWorkingReply(t: TmTransaction, b: TmBranch, reply: XaReply, out: TmAction[]): void {
    const ok = reply.code === XA_OK || (reply.call === 'xa_prepare' && reply.code === XA_RDONLY);
    if (!ok) return this.rollbackAll(t, `${b.rm} ${reply.call}: ${xaCodeName(reply.code)}`, out);
    const next: Record<string, TmBranchStep> = { xa_start: 'update', update: 'xa_end', xa_end: 'xa_prepare', xa_prepare: 'prepared' };
    const step = next[b.step];
    if (step === undefined) return;
    if (reply.call === 'xa_prepare' && reply.code === XA_RDONLY) b.step = 'done';
    else if (step === 'prepared') b.step = 'prepared';
    else this.call(t, b, step as XaCall, out);
    if (t.branches.every((x) => x.step === 'prepared' || x.step === 'done')) this.decideCommit(t, out);
  }

  /** Phase 2: force the commit record first, then tell every branch. */
  private decideCommit(t: TmTransaction, out: TmAction[]): void {
    const record: TmLogRecord = { type: 'commit', gtrid: t.gtrid, branches: t.branches.map((b) => ({ rm: b.rm, xid: b.xid })) };
    this.state.log.push(record);
    out.push({ type: 'log', record });
    out.push({ type: 'note', text: 'decision', data: { txn: t.gtrid, decision: 'commit' } });
    t.phase = 'committing';
    for (const b of t.branches) if (b.step !== 'done') this.call(t, b, 'xa_commit', out);
    if (t.branches.every((x) => x.step === 'done')) this.finish(t, 'committed', out);
  }

  /** Presumed abort: no log record, just tell every branch to roll back. */
  private rollbackAll(t: TmTransaction, reason: string, out: TmAction[]): void {
    t.phase = 'rolling back';
    t.reason = reason;
    out.push({ type: 'note', text: 'decision', data: { txn: t.gtrid, decision: 'rollback', reason } });
    for (const b of t.branches) {
      if (b.reqId !== null) delete this.state.pending[b.reqId];
      this.call(t, b, 'xa_rollback', out);
    }
  }

  private finish(t: TmTransaction, outcome: 'committed' | 'rolled back', out: TmAction[]): void {
    t.phase = 'done';
    if (outcome === 'committed') this.writeEnd(t.gtrid, out);
    out.push({ type: 'outcome', transfer: t.transfer, gtrid: t.gtrid, outcome, reason: t.reason });
  }

  private writeEnd(gtrid: string, out: TmAction[]): void {
    const record: TmLogRecord = { type: 'end', gtrid };
    out.push({ type: 'log', record });
    this.state.log = this.state.log.filter((r) => r.gtrid !== gtrid); // forgotten
    this.state.scan?.endedSince.push(gtrid);
  }

  private call(t: TmTransaction | null, b: { rm: string; xid: Xid; account?: string; delta?: number; step?: TmBranchStep; reqId?: string | null }, type: XaCall, out: TmAction[]): string {
    const reqId = `${this.state.incarnation}.${this.state.nextRequest++}`;
    const msg: XaRequest =
      type === 'update'
        ? { type, reqId, xid: b.xid, account: b.account!, delta: b.delta! }
        : type === 'xa_commit'
          ? { type, reqId, xid: b.xid, onePhase: false }
          : { type, reqId, xid: b.xid };
    if (t !== null) {
      b.step = type;
      b.reqId = reqId;
    }
    this.state.pending[reqId] = { rm: b.rm, msg, gtrid: t?.gtrid ?? null };
    out.push({ type: 'send', to: b.rm, msg });
    out.push({ type: 'timer', timer: { type: 'Retry', reqId, attempt: 0 }, delayMs: this.retryMs });
    return reqId;
  }

  /** Sends xa_recover to every RM; `armTimer`: also set the next periodic scan (one chain of Scan timers only). */
  private startScan(out: TmAction[], armTimer: boolean): void {
    const id = `${this.state.incarnation}.s${++this.state.scans}`;
    this.state.scan = { id, lists: {}, endedSince: [] };
    for (const rm of this.options.rms) out.push({ type: 'send', to: rm, msg: { type: 'xa_recover', scan: id } });
    if (armTimer) out.push({ type: 'timer', timer: { type: 'Scan' }, delayMs: this.scanIntervalMs });
  }

  /** Asks the recovery rule about the scan's results and carries out its plan. */
  private finishScan(out: TmAction[]): void {
    const scan = this.state.scan!;
    this.state.scan = null;
    const busy = new Set([...Object.values(this.state.txns).filter((t) => t.phase !== 'done').map((t) => t.gtrid), ...scan.endedSince]);
    const recovered = this.options.rms.map((rm) => ({ rm, xids: scan.lists[rm] === undefined || scan.lists[rm] === null ? null : scan.lists[rm]!.filter((x) => !busy.has(x.gtrid)) }));
    if (recovered.every((r) => r.xids !== null && r.xids.length === 0) && !this.state.log.some((r) => r.type === 'commit' && !busy.has(r.gtrid))) return;
    const input = { tm: this.options.name, log: this.state.log.filter((r) => !busy.has(r.gtrid)).map((r) => ({ ...r })), recovered };
    const plan = checkRecoveryPlan(this.rule(input), input);
    const acted = plan.branches.filter((b) => b.action !== 'leave');
    if (acted.length > 0 || plan.end.length > 0) {
      out.push({ type: 'note', text: 'recovery plan', data: { branches: acted.map((b) => `${b.action} ${b.xid.gtrid} at ${b.rm}`), end: plan.end } });
    }
    for (const b of acted) {
      const key = xidToString(b.xid);
      if (this.state.jobs[key] !== undefined) continue;
      this.state.jobs[key] = this.call(null, { rm: b.rm, xid: b.xid }, b.action === 'commit' ? 'xa_commit' : 'xa_rollback', out);
    }
    for (const gtrid of plan.end) {
      if (this.state.log.some((r) => r.type === 'commit' && r.gtrid === gtrid) && !busy.has(gtrid)) this.writeEnd(gtrid, out);
    }
  }
}
