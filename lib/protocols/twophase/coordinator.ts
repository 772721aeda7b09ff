import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { CoordinatorLogRecord, appendLog, readLog, recordsByTxn } from './log';
import { Outcome, TransactionSpec, TwoPhaseCoordinatorTimer, TwoPhaseMessage, TxnId, Vote } from './messages';
import { CommitRules, checkRuleResult, findTransaction, describeMap, resolveRules } from './rules';

/** What a 2PC coordinator needs to know; the timeouts are in virtual milliseconds. */
export interface TwoPhaseCoordinatorOptions {
  /** Every participant; a transaction without its own list uses all of them. */
  participants: NodeId[];
  /** The workload: each transaction starts at its `atMs` (or as soon as the coordinator is up after that). */
  transactions: TransactionSpec[];
  /** How long to wait for votes before asking the decision rule with `timedOut: true`. */
  voteTimeoutMs: number;
  /** How often to re-send Prepare to silent participants, and the decision to those that have not acknowledged it. */
  retryMs: number;
  /** The decision rule (and the others, unused here); the reference rules by default. */
  rules?: Partial<CommitRules>;
}

/** The coordinator's view of one transaction. `attempt` numbers the current retry chain. */
export interface CoordinatorTxn {
  txn: TxnId;
  participants: NodeId[];
  phase: 'voting' | 'decided' | 'ended';
  votes: Record<NodeId, Vote>;
  decision: Outcome | null;
  acked: NodeId[];
  attempt: number;
}

/** All of a coordinator's state: plain data (a model checker may copy it, a notebook may draw it). */
export interface TwoPhaseCoordinatorState {
  logLength: number;
  txns: Record<TxnId, CoordinatorTxn>;
}

type Ctx = Context<TwoPhaseMessage, TwoPhaseCoordinatorTimer>;

/**
 * The coordinator of two-phase commit (Gray 1978 §5.8.3; BHG §7.4), in the variant BHG teach
 * as basic 2PC ("presumed nothing"): it force-logs `begin` with the participant list before
 * the first Prepare, force-logs its decision before sending it, and logs `end` once every
 * participant acknowledged. The decision itself comes from the pluggable
 * `coordinatorDecision` rule. Timeouts: votes missing at `voteTimeoutMs` -> the rule (abort).
 *
 * Recovery from its log after a crash: `begin` without a decision -> abort (no participant can
 * have been told commit) and tell everyone; a decision without `end` -> re-send it until every
 * participant acknowledges; `end` -> nothing to do. A DecisionRequest about a transaction it has
 * no record of is answered Abort (it was never prepared: the presumption of presumed abort,
 * Mohan, Lindsay & Obermarck 1986, which basic 2PC may also use).
 *
 * @example
 *   sim.addNode('c', () => new TwoPhaseCoordinator({ participants: ['p1', 'p2'],
 *     transactions: [{ txn: 't1', atMs: 10 }], voteTimeoutMs: 50, retryMs: 20 }));
 */
export class TwoPhaseCoordinator implements ProtocolNode<TwoPhaseMessage, TwoPhaseCoordinatorTimer> {
  readonly state: TwoPhaseCoordinatorState = { logLength: 0, txns: {} };
  private readonly rules: CommitRules;

  constructor(private readonly options: TwoPhaseCoordinatorOptions) {
    this.rules = resolveRules(options.rules);
  }

  init(ctx: Ctx): void {
    const log = readLog<CoordinatorLogRecord>(ctx);
    this.state.logLength = log.length;
    for (const [txn, records] of recordsByTxn(log)) {
      const t = replayCoordinatorLog(txn, records);
      this.state.txns[txn] = t;
      if (t.phase === 'voting') {
        ctx.annotate('recovered', { txn, found: 'begin without a decision', action: 'abort' });
        this.decide(t, 'abort', ctx);
      } else if (t.phase === 'decided') {
        ctx.annotate('recovered', { txn, found: `decision ${t.decision}`, action: 'resend until acknowledged' });
        this.sendDecision(t, ctx);
      }
    }
    for (const spec of this.options.transactions) {
      if (this.state.txns[spec.txn] === undefined) {
        ctx.setTimer({ type: 'StartTransaction', txn: spec.txn }, Math.max(0, spec.atMs - ctx.now()));
      }
    }
  }

  onMessage(from: NodeId, msg: TwoPhaseMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'VoteYes':
      case 'VoteNo':
        return this.onVote(from, msg.txn, msg.type === 'VoteYes' ? 'yes' : 'no', ctx);
      case 'Ack':
        return this.onAck(from, msg.txn, ctx);
      case 'DecisionRequest':
        return this.onDecisionRequest(from, msg.txn, ctx);
      case 'Prepare':
      case 'Commit':
      case 'Abort':
        return; // sent to participants, never to the coordinator
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: TwoPhaseCoordinatorTimer, ctx: Ctx): void {
    const t = this.state.txns[timer.txn] as CoordinatorTxn | undefined;
    switch (timer.type) {
      case 'StartTransaction':
        if (t === undefined) this.begin(timer.txn, ctx);
        return;
      case 'VoteTimeout':
        if (t?.phase === 'voting') this.evaluate(t, true, ctx);
        return;
      case 'PrepareRetry':
        if (t?.phase !== 'voting' || timer.attempt !== t.attempt) return; // stale
        for (const p of t.participants) if (t.votes[p] === undefined) ctx.send(p, { type: 'Prepare', txn: t.txn, participants: t.participants });
        this.armRetry(t, 'PrepareRetry', ctx);
        return;
      case 'DecisionRetry':
        if (t?.phase !== 'decided' || timer.attempt !== t.attempt) return; // stale
        this.sendDecision(t, ctx);
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  /** Phase 1: force-log begin, then ask every participant to prepare. */
  private begin(txn: TxnId, ctx: Ctx): void {
    const spec = findTransaction(this.options.transactions, txn);
    const participants = (spec?.participants ?? this.options.participants).slice();
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'begin', txn, participants });
    const t: CoordinatorTxn = { txn, participants, phase: 'voting', votes: {}, decision: null, acked: [], attempt: 0 };
    this.state.txns[txn] = t;
    ctx.annotate('begin', { txn, participants });
    for (const p of participants) ctx.send(p, { type: 'Prepare', txn, participants });
    ctx.setTimer({ type: 'VoteTimeout', txn }, this.options.voteTimeoutMs);
    this.armRetry(t, 'PrepareRetry', ctx);
  }

  private onVote(from: NodeId, txn: TxnId, vote: Vote, ctx: Ctx): void {
    const t = this.state.txns[txn] as CoordinatorTxn | undefined;
    if (t?.phase !== 'voting' || !t.participants.includes(from) || t.votes[from] !== undefined) return;
    t.votes[from] = vote;
    this.evaluate(t, false, ctx);
  }

  /** Asks the decision rule; acts on commit or abort, keeps waiting on 'wait'. */
  private evaluate(t: CoordinatorTxn, timedOut: boolean, ctx: Ctx): void {
    const votes = new Map<NodeId, Vote | undefined>(t.participants.map((p) => [p, t.votes[p]]));
    const verdict = checkRuleResult('coordinatorDecision', this.rules.coordinatorDecision(votes, timedOut), ['commit', 'abort', 'wait'] as const,
      () => `txn ${t.txn} with votes ${describeMap(votes)}, timedOut ${timedOut}`);
    if (verdict !== 'wait') this.decide(t, verdict, ctx);
    else if (timedOut) ctx.setTimer({ type: 'VoteTimeout', txn: t.txn }, this.options.voteTimeoutMs);
  }

  /** Phase 2: force-log the decision, then send it (and re-send until every participant acknowledges). */
  private decide(t: CoordinatorTxn, decision: Outcome, ctx: Ctx): void {
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'decision', txn: t.txn, decision });
    t.phase = 'decided';
    t.decision = decision;
    ctx.annotate('decision', { txn: t.txn, decision });
    this.sendDecision(t, ctx);
  }

  private sendDecision(t: CoordinatorTxn, ctx: Ctx): void {
    const msg: TwoPhaseMessage = t.decision === 'commit' ? { type: 'Commit', txn: t.txn } : { type: 'Abort', txn: t.txn };
    for (const p of t.participants) if (!t.acked.includes(p)) ctx.send(p, msg);
    this.armRetry(t, 'DecisionRetry', ctx);
  }

  private armRetry(t: CoordinatorTxn, type: 'PrepareRetry' | 'DecisionRetry', ctx: Ctx): void {
    t.attempt++;
    ctx.setTimer({ type, txn: t.txn, attempt: t.attempt }, this.options.retryMs);
  }

  private onAck(from: NodeId, txn: TxnId, ctx: Ctx): void {
    const t = this.state.txns[txn] as CoordinatorTxn | undefined;
    if (t?.phase !== 'decided' || !t.participants.includes(from) || t.acked.includes(from)) return;
    t.acked.push(from);
    if (t.acked.length < t.participants.length) return;
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'end', txn });
    t.phase = 'ended';
    t.attempt++; // ends the retry chain
    ctx.annotate('end', { txn });
  }

  private onDecisionRequest(from: NodeId, txn: TxnId, ctx: Ctx): void {
    const t = this.state.txns[txn] as CoordinatorTxn | undefined;
    if (t === undefined) return ctx.send(from, { type: 'Abort', txn }); // never began: nobody can have committed
    if (t.decision === null) return; // still collecting votes: no answer yet
    ctx.send(from, t.decision === 'commit' ? { type: 'Commit', txn } : { type: 'Abort', txn });
  }
}

/** The coordinator's state of one transaction rebuilt from its log records (votes and acks were volatile). */
function replayCoordinatorLog(txn: TxnId, records: readonly CoordinatorLogRecord[]): CoordinatorTxn {
  const t: CoordinatorTxn = { txn, participants: [], phase: 'voting', votes: {}, decision: null, acked: [], attempt: 0 };
  for (const record of records) {
    switch (record.type) {
      case 'begin':
        t.participants = record.participants.slice();
        break;
      case 'precommit':
        break; // 3PC only
      case 'decision':
        t.phase = 'decided';
        t.decision = record.decision;
        break;
      case 'end':
        t.phase = 'ended';
        t.acked = t.participants.slice();
        break;
      default:
        assertNever(record, 'log record');
    }
  }
  return t;
}
