import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { CoordinatorLogRecord, appendLog, readLog, recordsByTxn } from './log';
import { Outcome, ThreePhaseCoordinatorTimer, ThreePhaseMessage, TransactionSpec, TxnId, Vote } from './messages';
import { CommitRules, checkRuleResult, findTransaction, describeMap, resolveRules } from './rules';

/** What a 3PC coordinator needs to know; the timeouts are in virtual milliseconds. */
export interface ThreePhaseCoordinatorOptions {
  participants: NodeId[];
  transactions: TransactionSpec[];
  /** Votes missing after this long -> the decision rule with timedOut (abort). */
  voteTimeoutMs: number;
  /** PreCommit acknowledgements missing after this long -> commit anyway (Skeen 1981). */
  ackTimeoutMs: number;
  /** After a restart in doubt: how often to ask the participants for the outcome. */
  retryMs: number;
  rules?: Partial<CommitRules>;
}

/** The 3PC coordinator's view of one transaction. */
export interface ThreePhaseCoordinatorTxn {
  txn: TxnId;
  participants: NodeId[];
  /** recovering: restarted after PreCommit without a decision; asking the participants. */
  phase: 'voting' | 'precommitting' | 'decided' | 'ended' | 'recovering';
  votes: Record<NodeId, Vote>;
  acks: NodeId[];
  committed: NodeId[];
  decision: Outcome | null;
  attempt: number;
}

/** All of a 3PC coordinator's state: plain data (a model checker may copy it, a notebook may draw it). */
export interface ThreePhaseCoordinatorState {
  logLength: number;
  txns: Record<TxnId, ThreePhaseCoordinatorTxn>;
}

type Ctx = Context<ThreePhaseMessage, ThreePhaseCoordinatorTimer>;

/**
 * The coordinator of three-phase commit (Skeen 1981, "Nonblocking Commit Protocols"; BHG
 * §7.5). Phase 1: force-log `begin`, send CanCommit, collect Yes/No; the `coordinatorDecision`
 * rule says abort (any No, or votes missing at `voteTimeoutMs`) or go on. Phase 2: force-log
 * `precommit`, send PreCommit, collect AckPreCommit; at `ackTimeoutMs` it commits anyway (a
 * silent participant has failed, and the termination protocol will bring it to commit: it
 * cannot have aborted once everyone voted yes). Phase 3: force-log the decision, send DoCommit
 * (or Abort), collect HaveCommitted, log `end`.
 *
 * The extra phase is what makes 3PC nonblocking: no participant can be uncertain while another
 * has committed, so the participants can finish without the coordinator (see the participant's
 * termination protocol). It assumes a synchronous network without partitions; under a partition
 * both sides finish, differently.
 *
 * Recovery: a decision in the log -> send it again; `precommit` without a decision -> the
 * participants may have decided without us: ask them until one answers; `begin` only -> abort
 * (nobody was precommitted, so every termination ends in abort too).
 */
export class ThreePhaseCoordinator implements ProtocolNode<ThreePhaseMessage, ThreePhaseCoordinatorTimer> {
  readonly state: ThreePhaseCoordinatorState = { logLength: 0, txns: {} };
  private readonly rules: CommitRules;

  constructor(private readonly options: ThreePhaseCoordinatorOptions) {
    this.rules = resolveRules(options.rules);
  }

  init(ctx: Ctx): void {
    const log = readLog<CoordinatorLogRecord>(ctx);
    this.state.logLength = log.length;
    for (const [txn, records] of recordsByTxn(log)) {
      const t: ThreePhaseCoordinatorTxn = { txn, participants: [], phase: 'voting', votes: {}, acks: [], committed: [], decision: null, attempt: 0 };
      this.state.txns[txn] = t;
      for (const record of records) {
        switch (record.type) {
          case 'begin':
            t.participants = record.participants.slice();
            break;
          case 'precommit':
            t.phase = 'recovering';
            break;
          case 'decision':
            t.phase = 'decided';
            t.decision = record.decision;
            break;
          case 'end':
            t.phase = 'ended';
            break;
          default:
            assertNever(record, 'log record');
        }
      }
      if (t.phase === 'voting') {
        ctx.annotate('recovered', { txn, found: 'begin only', action: 'abort' });
        this.decide(t, 'abort', ctx);
      } else if (t.phase === 'recovering') {
        ctx.annotate('recovered', { txn, found: 'precommit without a decision', action: 'ask the participants' });
        this.askParticipants(t, ctx);
      } else if (t.phase === 'decided') {
        ctx.annotate('recovered', { txn, found: `decision ${t.decision}`, action: 'send it again' });
        this.sendDecision(t, ctx);
      }
    }
    for (const spec of this.options.transactions) {
      if (this.state.txns[spec.txn] === undefined) {
        ctx.setTimer({ type: 'StartTransaction', txn: spec.txn }, Math.max(0, spec.atMs - ctx.now()));
      }
    }
  }

  onMessage(from: NodeId, msg: ThreePhaseMessage, ctx: Ctx): void {
    const t = this.state.txns[msg.txn] as ThreePhaseCoordinatorTxn | undefined;
    switch (msg.type) {
      case 'Yes':
      case 'No':
        if (t?.phase !== 'voting' || !t.participants.includes(from) || t.votes[from] !== undefined) return;
        t.votes[from] = msg.type === 'Yes' ? 'yes' : 'no';
        return this.evaluate(t, false, ctx);
      case 'AckPreCommit':
        if (t?.phase !== 'precommitting' || msg.round !== 0 || t.acks.includes(from)) return;
        t.acks.push(from);
        if (t.acks.length === t.participants.length) this.decide(t, 'commit', ctx);
        return;
      case 'HaveCommitted':
        if (t?.decision !== 'commit' || t.phase === 'ended' || t.committed.includes(from)) return;
        t.committed.push(from);
        if (t.committed.length === t.participants.length) {
          this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'end', txn: t.txn });
          t.phase = 'ended';
          ctx.annotate('end', { txn: t.txn });
        }
        return;
      case 'DoCommit':
      case 'Abort':
        // An answer to our DecisionRequest after a restart: the participants decided without us.
        if (t?.phase === 'recovering') this.decide(t, msg.type === 'DoCommit' ? 'commit' : 'abort', ctx, from);
        return;
      case 'DecisionRequest':
        if (t === undefined) return ctx.send(from, { type: 'Abort', txn: msg.txn }); // never began
        if (t.decision !== null) ctx.send(from, t.decision === 'commit' ? { type: 'DoCommit', txn: t.txn } : { type: 'Abort', txn: t.txn });
        return;
      case 'CanCommit':
      case 'PreCommit':
      case 'StateRequest':
      case 'StateReport':
        return; // between participants (the termination protocol) or to them
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: ThreePhaseCoordinatorTimer, ctx: Ctx): void {
    const t = this.state.txns[timer.txn] as ThreePhaseCoordinatorTxn | undefined;
    switch (timer.type) {
      case 'StartTransaction':
        if (t === undefined) this.begin(timer.txn, ctx);
        return;
      case 'VoteTimeout':
        if (t?.phase === 'voting') this.evaluate(t, true, ctx);
        return;
      case 'AckTimeout':
        if (t?.phase !== 'precommitting') return;
        ctx.annotate('ack timeout', { txn: t.txn, missing: t.participants.filter((p) => !t.acks.includes(p)) });
        this.decide(t, 'commit', ctx);
        return;
      case 'DecisionRetry':
        if (t?.phase === 'recovering' && timer.attempt === t.attempt) this.askParticipants(t, ctx);
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  private begin(txn: TxnId, ctx: Ctx): void {
    const spec = findTransaction(this.options.transactions, txn);
    const participants = (spec?.participants ?? this.options.participants).slice();
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'begin', txn, participants });
    this.state.txns[txn] = { txn, participants, phase: 'voting', votes: {}, acks: [], committed: [], decision: null, attempt: 0 };
    ctx.annotate('begin', { txn, participants });
    for (const p of participants) ctx.send(p, { type: 'CanCommit', txn, participants });
    ctx.setTimer({ type: 'VoteTimeout', txn }, this.options.voteTimeoutMs);
  }

  /** Phase 1 ends when the rule says so: abort, or (on 'commit') go on to PreCommit. */
  private evaluate(t: ThreePhaseCoordinatorTxn, timedOut: boolean, ctx: Ctx): void {
    const votes = new Map<NodeId, Vote | undefined>(t.participants.map((p) => [p, t.votes[p]]));
    const verdict = checkRuleResult('coordinatorDecision', this.rules.coordinatorDecision(votes, timedOut), ['commit', 'abort', 'wait'] as const,
      () => `txn ${t.txn} with votes ${describeMap(votes)}, timedOut ${timedOut}`);
    if (verdict === 'abort') return this.decide(t, 'abort', ctx);
    if (verdict === 'wait') {
      if (timedOut) ctx.setTimer({ type: 'VoteTimeout', txn: t.txn }, this.options.voteTimeoutMs);
      return;
    }
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'precommit', txn: t.txn });
    t.phase = 'precommitting';
    ctx.annotate('precommit', { txn: t.txn });
    for (const p of t.participants) ctx.send(p, { type: 'PreCommit', txn: t.txn, round: 0 });
    ctx.setTimer({ type: 'AckTimeout', txn: t.txn }, this.options.ackTimeoutMs);
  }

  private decide(t: ThreePhaseCoordinatorTxn, decision: Outcome, ctx: Ctx, learnedFrom?: NodeId): void {
    this.state.logLength = appendLog<CoordinatorLogRecord>(ctx, this.state.logLength, { type: 'decision', txn: t.txn, decision });
    t.phase = 'decided';
    t.decision = decision;
    t.attempt++;
    ctx.annotate('decision', learnedFrom === undefined ? { txn: t.txn, decision } : { txn: t.txn, decision, learnedFrom });
    if (learnedFrom === undefined) this.sendDecision(t, ctx);
  }

  private sendDecision(t: ThreePhaseCoordinatorTxn, ctx: Ctx): void {
    for (const p of t.participants) ctx.send(p, t.decision === 'commit' ? { type: 'DoCommit', txn: t.txn } : { type: 'Abort', txn: t.txn });
  }

  private askParticipants(t: ThreePhaseCoordinatorTxn, ctx: Ctx): void {
    for (const p of t.participants) ctx.send(p, { type: 'DecisionRequest', txn: t.txn });
    t.attempt++;
    ctx.setTimer({ type: 'DecisionRetry', txn: t.txn, attempt: t.attempt }, this.options.retryMs);
  }
}
