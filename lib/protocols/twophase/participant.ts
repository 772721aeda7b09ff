import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { noteLockAcquired, noteLockReleased } from './locks';
import { ParticipantLogRecord, appendLog, readLog, recordsByTxn } from './log';
import { Outcome, TransactionSpec, TwoPhaseMessage, TwoPhaseParticipantTimer, TxnId, Vote, VotePolicy, alwaysYes } from './messages';
import { CommitRules, checkRuleResult, resolveRules } from './rules';

/** What a 2PC participant needs to know; the timeouts are in virtual milliseconds. */
export interface TwoPhaseParticipantOptions {
  /** How this participant votes (default: always yes). */
  vote?: VotePolicy;
  /**
   * The transactions this participant works on, and `prepareTimeoutMs`: a participant that has
   * no Prepare by `atMs + prepareTimeoutMs` aborts unilaterally (BHG §7.4: before voting it may).
   * The work itself (the execution phase) is not modelled: it stands for "the client's
   * operations reached this participant at atMs". Without them, a participant learns of a
   * transaction from its Prepare (or from a peer's DecisionRequest, which it answers by
   * aborting unilaterally if it has not voted).
   */
  transactions?: TransactionSpec[];
  prepareTimeoutMs?: number;
  /** How long a prepared participant waits for the decision before it is blocked and starts asking. */
  decisionTimeoutMs: number;
  /** How often a blocked participant asks again. */
  retryMs: number;
  /** Ask the other participants too, not only the coordinator (BHG §7.4 cooperative termination). Default true. */
  cooperative?: boolean;
  /** The recovery rule (and the others, unused here); the reference rules by default. */
  rules?: Partial<CommitRules>;
}

/** A participant's view of one transaction; `log` mirrors its durable records of it. */
export interface ParticipantTxn {
  txn: TxnId;
  coordinator: NodeId | null;
  participants: NodeId[];
  log: ParticipantLogRecord[];
  vote: Vote | null;
  outcome: Outcome | null;
  /** Holds the transaction's locks (prepared, outcome unknown). */
  locked: boolean;
  /** Prepared, timed out waiting for the decision: asking and holding its locks. */
  blocked: boolean;
}

/** All of a participant's state: plain data. */
export interface TwoPhaseParticipantState {
  logLength: number;
  txns: Record<TxnId, ParticipantTxn>;
}

type Ctx = Context<TwoPhaseMessage, TwoPhaseParticipantTimer>;

/**
 * A participant (resource manager) of two-phase commit (Gray 1978 §5.8.3; BHG §7.4). On
 * Prepare it asks its vote policy; it force-logs the vote before replying (a YES vote makes it
 * prepared: it takes the transaction's locks and may no longer decide alone); a NO vote aborts
 * at once. It force-logs the outcome when it arrives and acknowledges it.
 *
 * Timeouts: one that has not voted by `prepareTimeoutMs` after a transaction's start aborts
 * unilaterally (and will vote NO if the Prepare comes later). A prepared participant that hears
 * nothing for `decisionTimeoutMs` is blocked: it keeps its locks and asks every `retryMs`, the
 * coordinator and (cooperative termination) the other participants. A peer answers from its own log through the `participantRecovery`
 * rule: it knows the outcome, or it has not voted and so aborts unilaterally and says Abort;
 * a peer that is itself in doubt stays silent.
 *
 * Recovery: each transaction's log records go through `participantRecovery`: an outcome ->
 * done; 'ask' (prepared, no outcome) -> in doubt: take the locks again and ask; 'abort' -> abort.
 *
 * Annotations: 'vote', 'commit' / 'abort' (the outcome, when it is logged: what the atomicity
 * checker reads), 'blocked', 'lock acquired' / 'lock released', 'conflicting outcome'.
 */
export class TwoPhaseParticipant implements ProtocolNode<TwoPhaseMessage, TwoPhaseParticipantTimer> {
  readonly state: TwoPhaseParticipantState = { logLength: 0, txns: {} };
  private readonly rules: CommitRules;
  private readonly vote: VotePolicy;

  constructor(private readonly options: TwoPhaseParticipantOptions) {
    this.rules = resolveRules(options.rules);
    this.vote = options.vote ?? alwaysYes;
  }

  init(ctx: Ctx): void {
    const log = readLog<ParticipantLogRecord>(ctx);
    this.state.logLength = log.length;
    for (const [txn, records] of recordsByTxn(log)) {
      const voteRecord = records.find((r) => r.type === 'vote');
      const t = this.track(txn);
      if (voteRecord?.type === 'vote') {
        t.coordinator = voteRecord.coordinator;
        t.participants = voteRecord.participants.slice();
        t.vote = voteRecord.vote;
      }
      t.log = records;
      let logged: Outcome | null = null;
      for (const r of records) if (r.type === 'outcome' && logged === null) logged = r.outcome;
      const verdict = this.recover(t);
      ctx.annotate('recovered', { txn, logged: logged ?? 'no outcome', verdict });
      if (verdict === 'ask') this.enterDoubt(t, ctx);
      else if (verdict === logged) t.outcome = logged;
      else this.applyOutcome(t, verdict, ctx, 'recovery');
    }
    const prepareTimeoutMs = this.options.prepareTimeoutMs;
    if (prepareTimeoutMs === undefined) return;
    for (const spec of this.options.transactions ?? []) {
      if (this.state.txns[spec.txn] !== undefined) continue;
      if (spec.participants !== undefined && !spec.participants.includes(ctx.id)) continue;
      ctx.setTimer({ type: 'PrepareTimeout', txn: spec.txn }, Math.max(0, spec.atMs + prepareTimeoutMs - ctx.now()));
    }
  }

  onMessage(from: NodeId, msg: TwoPhaseMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Prepare':
        return this.onPrepare(from, msg.txn, msg.participants, ctx);
      case 'Commit':
      case 'Abort':
        this.applyOutcome(this.track(msg.txn), msg.type === 'Commit' ? 'commit' : 'abort', ctx, from);
        ctx.send(from, { type: 'Ack', txn: msg.txn });
        return;
      case 'DecisionRequest':
        return this.onDecisionRequest(from, msg.txn, ctx);
      case 'VoteYes':
      case 'VoteNo':
      case 'Ack':
        return; // for the coordinator (an Ack may come back from a peer we answered)
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: TwoPhaseParticipantTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'PrepareTimeout': {
        const t = this.state.txns[timer.txn] as ParticipantTxn | undefined;
        if (t !== undefined) return; // stale: it voted, or already knows the outcome
        this.applyOutcome(this.track(timer.txn), 'abort', ctx, 'no Prepare in time');
        return;
      }
      case 'DecisionTimeout': {
        const t = this.state.txns[timer.txn] as ParticipantTxn | undefined;
        if (t === undefined || t.outcome !== null) return; // stale: the outcome came
        if (!t.blocked) {
          t.blocked = true;
          ctx.annotate('blocked', { txn: t.txn });
        }
        this.ask(t, ctx);
        return;
      }
      default:
        return assertNever(timer, 'timer');
    }
  }

  private onPrepare(from: NodeId, txn: TxnId, participants: NodeId[], ctx: Ctx): void {
    const known = this.state.txns[txn] as ParticipantTxn | undefined;
    if (known !== undefined) {
      // A repeated Prepare: repeat the vote (a participant that aborted unilaterally votes no).
      const vote = known.vote ?? (known.outcome === 'abort' ? 'no' : null);
      if (vote !== null) ctx.send(from, { type: vote === 'yes' ? 'VoteYes' : 'VoteNo', txn });
      return;
    }
    const vote = checkVote(this.vote(txn, ctx.id), txn, ctx.id);
    const t = this.track(txn);
    t.coordinator = from;
    t.participants = participants.slice();
    t.vote = vote;
    this.append(t, { type: 'vote', txn, vote, coordinator: from, participants: t.participants }, ctx);
    ctx.annotate('vote', { txn, vote });
    if (vote === 'yes') {
      t.locked = true;
      noteLockAcquired(ctx, txn);
      ctx.send(from, { type: 'VoteYes', txn });
      ctx.setTimer({ type: 'DecisionTimeout', txn }, this.options.decisionTimeoutMs);
    } else {
      this.applyOutcome(t, 'abort', ctx, 'voted no');
      ctx.send(from, { type: 'VoteNo', txn });
    }
  }

  /** Cooperative termination: answer a blocked peer from our own log, or stay silent if in doubt too. */
  private onDecisionRequest(from: NodeId, txn: TxnId, ctx: Ctx): void {
    const t = this.track(txn);
    const verdict = this.recover(t);
    if (verdict === 'ask') return;
    if (t.outcome === null) this.applyOutcome(t, verdict, ctx, `asked by ${from}`);
    const outcome = t.outcome ?? verdict;
    ctx.send(from, outcome === 'commit' ? { type: 'Commit', txn } : { type: 'Abort', txn });
  }

  /** The recovery rule on this transaction's log, checked. */
  private recover(t: ParticipantTxn): Outcome | 'ask' {
    return checkRuleResult('participantRecovery', this.rules.participantRecovery(copyData(t.log)), ['commit', 'abort', 'ask'] as const,
      () => `txn ${t.txn} with log ${JSON.stringify(t.log)}`);
  }

  /** In doubt after a restart: take the locks again and ask until someone knows. */
  private enterDoubt(t: ParticipantTxn, ctx: Ctx): void {
    t.outcome = null;
    t.locked = true;
    noteLockAcquired(ctx, t.txn, true);
    t.blocked = true;
    ctx.annotate('blocked', { txn: t.txn, recovered: true });
    this.ask(t, ctx);
  }

  private ask(t: ParticipantTxn, ctx: Ctx): void {
    if (t.coordinator !== null) ctx.send(t.coordinator, { type: 'DecisionRequest', txn: t.txn });
    if (this.options.cooperative ?? true) {
      for (const p of t.participants) if (p !== ctx.id) ctx.send(p, { type: 'DecisionRequest', txn: t.txn });
    }
    ctx.setTimer({ type: 'DecisionTimeout', txn: t.txn }, this.options.retryMs);
  }

  /** Force-logs and applies an outcome (once); a different outcome later is only noted, never applied. */
  private applyOutcome(t: ParticipantTxn, outcome: Outcome, ctx: Ctx, by: string): void {
    if (t.outcome === outcome) return;
    if (t.outcome !== null) {
      ctx.annotate('conflicting outcome', { txn: t.txn, have: t.outcome, told: outcome, by });
      return;
    }
    this.append(t, { type: 'outcome', txn: t.txn, outcome }, ctx);
    t.outcome = outcome;
    t.blocked = false;
    ctx.annotate(outcome, { txn: t.txn, by });
    if (t.locked) {
      t.locked = false;
      noteLockReleased(ctx, t.txn, outcome);
    }
  }

  private append(t: ParticipantTxn, record: ParticipantLogRecord, ctx: Ctx): void {
    this.state.logLength = appendLog(ctx, this.state.logLength, record);
    t.log.push(record);
  }

  private track(txn: TxnId): ParticipantTxn {
    let t = this.state.txns[txn] as ParticipantTxn | undefined;
    if (t === undefined) {
      t = { txn, coordinator: null, participants: [], log: [], vote: null, outcome: null, locked: false, blocked: false };
      this.state.txns[txn] = t;
    }
    return t;
  }
}

/** Checks a vote policy's answer. */
export function checkVote(vote: unknown, txn: TxnId, participant: NodeId): Vote {
  if (vote === 'yes' || vote === 'no') return vote;
  throw new Error(`the vote policy returned ${JSON.stringify(vote) ?? 'undefined'} for ${participant} on ${txn}; it must return 'yes' or 'no'`);
}
