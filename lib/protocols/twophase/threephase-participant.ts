import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { noteLockAcquired, noteLockReleased } from './locks';
import { ParticipantLogRecord, appendLog, readLog, recordsByTxn } from './log';
import { Outcome, ThreePhaseMessage, ThreePhaseParticipantTimer, ThreePhaseState, TxnId, Vote, VotePolicy, alwaysYes } from './messages';
import { checkVote } from './participant';
import { CommitRules, checkRuleResult, describeMap, resolveRules } from './rules';

/** What a 3PC participant needs to know; the timeouts are in virtual milliseconds. */
export interface ThreePhaseParticipantOptions {
  vote?: VotePolicy;
  /** How long to wait for PreCommit, for DoCommit, or for a termination round's coordinator. */
  terminationTimeoutMs: number;
  /** How long a recovery coordinator collects state reports, and then PreCommit acknowledgements. */
  collectMs: number;
  /**
   * What a participant does when a wait times out. 'elect' (default): the termination protocol
   * (Skeen 1981; BHG §7.5): rounds r = 1, 2, ... each led by the next participant in list order,
   * so the lowest one alive leads; the leader collects states and applies `terminationDecision`.
   * 'timeout': the classic textbook timeouts, alone: `terminationDecision` on its own state only
   * (uncertain -> abort, precommitted -> commit).
   */
  termination?: 'elect' | 'timeout';
  rules?: Partial<CommitRules>;
}

/** A recovery coordinator's work in one round of the termination protocol. */
export interface RecoveryRound {
  round: number;
  phase: 'collecting' | 'precommitting';
  states: Record<NodeId, ThreePhaseState>;
  /** precommitting: the uncertain participants whose AckPreCommit has not come. */
  waitingFor: NodeId[];
}

/** A 3PC participant's view of one transaction. */
export interface ThreePhaseParticipantTxn {
  txn: TxnId;
  coordinator: NodeId | null;
  participants: NodeId[];
  log: ParticipantLogRecord[];
  vote: Vote | null;
  precommitted: boolean;
  outcome: Outcome | null;
  locked: boolean;
  /** Timed out at least once: running the termination protocol. */
  blocked: boolean;
  /** The termination round this participant is in (0: still following the original coordinator). */
  round: number;
  /** Numbers the current wait, so that a replaced TerminationTimeout is recognised as stale. */
  wait: number;
  recovery: RecoveryRound | null;
}

/** All of a 3PC participant's state: plain data. */
export interface ThreePhaseParticipantState {
  logLength: number;
  txns: Record<TxnId, ThreePhaseParticipantTxn>;
}

type Ctx = Context<ThreePhaseMessage, ThreePhaseParticipantTimer>;

/**
 * A participant of three-phase commit (Skeen 1981; BHG §7.5). It votes on CanCommit (forcing
 * the vote to its log; YES takes the locks), acknowledges PreCommit after forcing a
 * `precommit` record, and commits on DoCommit. When a wait times out (no PreCommit after its
 * YES, no DoCommit after its AckPreCommit), it does not block as in 2PC: it runs the
 * termination protocol (see `termination`). In round r the r-th participant of the list leads:
 * it sends StateRequest, collects StateReports for `collectMs`, applies `terminationDecision`;
 * to commit it first brings the uncertain ones to precommitted (PreCommit, AckPreCommit), then
 * sends DoCommit; to abort it sends Abort. A participant answers every StateRequest with its
 * state and follows the highest round it has seen; one that never voted aborts unilaterally
 * and reports aborted.
 *
 * Recovery: `participantRecovery` on each transaction's log, as in 2PC; in doubt (voted yes or
 * precommitted, no outcome) it takes its locks again, asks everyone, and joins the termination
 * protocol after a timeout.
 *
 * Annotations: 'vote', 'precommit', 'commit' / 'abort', 'timeout', 'termination round',
 * 'decision' (as a recovery coordinator), 'lock acquired' / 'lock released'.
 */
export class ThreePhaseParticipant implements ProtocolNode<ThreePhaseMessage, ThreePhaseParticipantTimer> {
  readonly state: ThreePhaseParticipantState = { logLength: 0, txns: {} };
  private readonly rules: CommitRules;
  private readonly vote: VotePolicy;

  constructor(private readonly options: ThreePhaseParticipantOptions) {
    this.rules = resolveRules(options.rules);
    this.vote = options.vote ?? alwaysYes;
  }

  init(ctx: Ctx): void {
    const log = readLog<ParticipantLogRecord>(ctx);
    this.state.logLength = log.length;
    for (const [txn, records] of recordsByTxn(log)) {
      const t = this.track(txn);
      t.log = records;
      let logged: Outcome | null = null;
      for (const r of records) {
        if (r.type === 'vote') {
          t.coordinator = r.coordinator;
          t.participants = r.participants.slice();
          t.vote = r.vote;
        } else if (r.type === 'precommit') t.precommitted = true;
        else if (logged === null) logged = r.outcome;
      }
      const verdict = this.recover(t);
      ctx.annotate('recovered', { txn, logged: logged ?? 'no outcome', verdict });
      if (verdict === 'ask') {
        t.locked = true;
        noteLockAcquired(ctx, txn, true);
        t.blocked = true;
        ctx.annotate('blocked', { txn, recovered: true });
        const everyone = t.coordinator === null ? t.participants : [t.coordinator, ...t.participants];
        for (const node of everyone) if (node !== ctx.id) ctx.send(node, { type: 'DecisionRequest', txn });
        this.armWait(t, ctx);
      } else if (verdict === logged) t.outcome = logged;
      else this.applyOutcome(t, verdict, ctx, 'recovery');
    }
  }

  onMessage(from: NodeId, msg: ThreePhaseMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'CanCommit':
        return this.onCanCommit(from, msg.txn, msg.participants, ctx);
      case 'PreCommit':
        return this.onPreCommit(from, msg.txn, msg.round, ctx);
      case 'DoCommit':
        this.applyOutcome(this.track(msg.txn), 'commit', ctx, from);
        ctx.send(from, { type: 'HaveCommitted', txn: msg.txn });
        return;
      case 'Abort':
        return this.applyOutcome(this.track(msg.txn), 'abort', ctx, from);
      case 'DecisionRequest':
        return this.onDecisionRequest(from, msg.txn, ctx);
      case 'StateRequest':
        return this.onStateRequest(from, msg.txn, msg.round, ctx);
      case 'StateReport': {
        const recovery = this.state.txns[msg.txn]?.recovery;
        if (!recovery || recovery.round !== msg.round || recovery.phase !== 'collecting') return;
        recovery.states[from] = msg.state;
        if (recovery.waitingFor.every((p) => recovery.states[p] !== undefined)) this.conclude(this.state.txns[msg.txn], ctx);
        return;
      }
      case 'AckPreCommit': {
        const t = this.state.txns[msg.txn] as ThreePhaseParticipantTxn | undefined;
        const recovery = t?.recovery;
        if (!t || !recovery || recovery.round !== msg.round || recovery.phase !== 'precommitting') return;
        recovery.waitingFor = recovery.waitingFor.filter((p) => p !== from);
        if (recovery.waitingFor.length === 0) this.finishCommit(t, ctx);
        return;
      }
      case 'Yes':
      case 'No':
      case 'HaveCommitted':
        return; // for a coordinator
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: ThreePhaseParticipantTimer, ctx: Ctx): void {
    const t = this.state.txns[timer.txn] as ThreePhaseParticipantTxn | undefined;
    if (t === undefined || t.outcome !== null) return; // stale: the outcome is known
    switch (timer.type) {
      case 'TerminationTimeout':
        if (timer.wait !== t.wait) return; // replaced by a later wait
        return this.onWaitTimeout(t, ctx);
      case 'StateCollectTimeout':
        if (t.recovery?.round === timer.round && t.recovery.phase === 'collecting') this.conclude(t, ctx);
        return;
      case 'RecoveryAckTimeout':
        if (t.recovery?.round === timer.round && t.recovery.phase === 'precommitting') this.finishCommit(t, ctx);
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  private onCanCommit(from: NodeId, txn: TxnId, participants: NodeId[], ctx: Ctx): void {
    const known = this.state.txns[txn] as ThreePhaseParticipantTxn | undefined;
    if (known !== undefined) {
      const vote = known.vote ?? (known.outcome === 'abort' ? 'no' : null);
      if (vote !== null) ctx.send(from, { type: vote === 'yes' ? 'Yes' : 'No', txn });
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
      ctx.send(from, { type: 'Yes', txn });
      this.armWait(t, ctx);
    } else {
      this.applyOutcome(t, 'abort', ctx, 'voted no');
      ctx.send(from, { type: 'No', txn });
    }
  }

  private onPreCommit(from: NodeId, txn: TxnId, round: number, ctx: Ctx): void {
    const t = this.state.txns[txn] as ThreePhaseParticipantTxn | undefined;
    if (t === undefined || t.vote !== 'yes' || t.outcome !== null || round < t.round) return; // stale or not ours
    this.enterRound(t, round);
    if (!t.precommitted) this.precommit(t, round, ctx);
    ctx.send(from, { type: 'AckPreCommit', txn, round });
    this.armWait(t, ctx);
  }

  private onStateRequest(from: NodeId, txn: TxnId, round: number, ctx: Ctx): void {
    const t = this.track(txn);
    if (t.vote === null && t.outcome === null) this.applyOutcome(t, 'abort', ctx, `never voted; asked by ${from}`);
    if (t.outcome === null && round >= t.round) {
      this.enterRound(t, round);
      this.armWait(t, ctx); // give this round's leader its time
    }
    ctx.send(from, { type: 'StateReport', txn, round, state: stateOf(t) });
  }

  /** Answers a recovering node from our own log (as in 2PC); silent while in doubt ourselves. */
  private onDecisionRequest(from: NodeId, txn: TxnId, ctx: Ctx): void {
    const t = this.track(txn);
    const verdict = this.recover(t);
    if (verdict === 'ask') return;
    if (t.outcome === null) this.applyOutcome(t, verdict, ctx, `asked by ${from}`);
    const outcome = t.outcome ?? verdict;
    ctx.send(from, outcome === 'commit' ? { type: 'DoCommit', txn } : { type: 'Abort', txn });
  }

  private onWaitTimeout(t: ThreePhaseParticipantTxn, ctx: Ctx): void {
    t.blocked = true;
    ctx.annotate('timeout', { txn: t.txn, state: stateOf(t), round: t.round });
    if ((this.options.termination ?? 'elect') === 'timeout') {
      const verdict = this.decideTermination(t, new Map([[ctx.id, stateOf(t)]]));
      this.applyOutcome(t, verdict, ctx, 'timeout');
      return;
    }
    const round = t.round + 1;
    this.enterRound(t, round);
    const leader = t.participants.length === 0 ? ctx.id : t.participants[(round - 1) % t.participants.length];
    ctx.annotate('termination round', { txn: t.txn, round, leader });
    if (leader === ctx.id) {
      const others = t.participants.filter((p) => p !== ctx.id);
      t.recovery = { round, phase: 'collecting', states: { [ctx.id]: stateOf(t) }, waitingFor: others };
      for (const p of others) ctx.send(p, { type: 'StateRequest', txn: t.txn, round });
      ctx.setTimer({ type: 'StateCollectTimeout', txn: t.txn, round }, this.options.collectMs);
    }
    this.armWait(t, ctx);
  }

  /** The recovery coordinator decides with the states it has (BHG §7.5, TR1-TR4). */
  private conclude(t: ThreePhaseParticipantTxn, ctx: Ctx): void {
    const recovery = t.recovery as RecoveryRound;
    const order = t.participants.length > 0 ? t.participants : [ctx.id];
    const states = new Map<NodeId, ThreePhaseState>();
    for (const p of order) if (recovery.states[p] !== undefined) states.set(p, recovery.states[p]);
    const decision = this.decideTermination(t, states);
    ctx.annotate('decision', { txn: t.txn, decision, round: recovery.round, states: recovery.states });
    const others = t.participants.filter((p) => p !== ctx.id);
    if (decision === 'abort') {
      t.recovery = null;
      this.applyOutcome(t, 'abort', ctx, `termination round ${recovery.round}`);
      for (const p of others) ctx.send(p, { type: 'Abort', txn: t.txn });
      return;
    }
    if (!t.precommitted && t.vote === 'yes') this.precommit(t, recovery.round, ctx);
    const uncertain = others.filter((p) => recovery.states[p] === 'uncertain');
    if (uncertain.length === 0) return this.finishCommit(t, ctx);
    recovery.phase = 'precommitting';
    recovery.waitingFor = uncertain;
    for (const p of uncertain) ctx.send(p, { type: 'PreCommit', txn: t.txn, round: recovery.round });
    ctx.setTimer({ type: 'RecoveryAckTimeout', txn: t.txn, round: recovery.round }, this.options.collectMs);
  }

  private finishCommit(t: ThreePhaseParticipantTxn, ctx: Ctx): void {
    const round = t.recovery?.round ?? t.round;
    t.recovery = null;
    this.applyOutcome(t, 'commit', ctx, `termination round ${round}`);
    for (const p of t.participants) if (p !== ctx.id) ctx.send(p, { type: 'DoCommit', txn: t.txn });
  }

  private decideTermination(t: ThreePhaseParticipantTxn, states: Map<NodeId, ThreePhaseState>): Outcome {
    return checkRuleResult('terminationDecision', this.rules.terminationDecision(states), ['commit', 'abort'] as const,
      () => `txn ${t.txn} with states ${describeMap(states)}`);
  }

  private recover(t: ThreePhaseParticipantTxn): Outcome | 'ask' {
    return checkRuleResult('participantRecovery', this.rules.participantRecovery(copyData(t.log)), ['commit', 'abort', 'ask'] as const,
      () => `txn ${t.txn} with log ${JSON.stringify(t.log)}`);
  }

  private precommit(t: ThreePhaseParticipantTxn, round: number, ctx: Ctx): void {
    this.append(t, { type: 'precommit', txn: t.txn }, ctx);
    t.precommitted = true;
    ctx.annotate('precommit', { txn: t.txn, round });
  }

  /** Follows a higher round; a recovery coordinator of a lower round gives up its round. */
  private enterRound(t: ThreePhaseParticipantTxn, round: number): void {
    if (round <= t.round) return;
    t.round = round;
    if (t.recovery !== null && t.recovery.round < round) t.recovery = null;
  }

  private armWait(t: ThreePhaseParticipantTxn, ctx: Ctx): void {
    t.wait++;
    ctx.setTimer({ type: 'TerminationTimeout', txn: t.txn, round: t.round, wait: t.wait }, this.options.terminationTimeoutMs);
  }

  /** Force-logs and applies an outcome (once); a different outcome later is only noted. */
  private applyOutcome(t: ThreePhaseParticipantTxn, outcome: Outcome, ctx: Ctx, by: string): void {
    if (t.outcome === outcome) return;
    if (t.outcome !== null) {
      ctx.annotate('conflicting outcome', { txn: t.txn, have: t.outcome, told: outcome, by });
      return;
    }
    this.append(t, { type: 'outcome', txn: t.txn, outcome }, ctx);
    t.outcome = outcome;
    t.blocked = false;
    t.recovery = null;
    ctx.annotate(outcome, { txn: t.txn, by });
    if (t.locked) {
      t.locked = false;
      noteLockReleased(ctx, t.txn, outcome);
    }
  }

  private append(t: ThreePhaseParticipantTxn, record: ParticipantLogRecord, ctx: Ctx): void {
    this.state.logLength = appendLog(ctx, this.state.logLength, record);
    t.log.push(record);
  }

  private track(txn: TxnId): ThreePhaseParticipantTxn {
    let t = this.state.txns[txn] as ThreePhaseParticipantTxn | undefined;
    if (t === undefined) {
      t = { txn, coordinator: null, participants: [], log: [], vote: null, precommitted: false, outcome: null, locked: false, blocked: false, round: 0, wait: 0, recovery: null };
      this.state.txns[txn] = t;
    }
    return t;
  }
}

/** The state a participant reports in the termination protocol. */
export function stateOf(t: Pick<ThreePhaseParticipantTxn, 'outcome' | 'precommitted' | 'vote'>): ThreePhaseState {
  if (t.outcome === 'commit') return 'committed';
  if (t.outcome === 'abort') return 'aborted';
  if (t.precommitted) return 'precommitted';
  return t.vote === 'yes' ? 'uncertain' : 'aborted';
}
