import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { Ballot, PaxosMessage, PaxosTimer, PaxosValue, Proposal, compareBallots, formatBallot } from './messages';
import { PaxosRules, resolvePaxosRules } from './rules';

/** Options of a proposer; times are virtual milliseconds. */
export interface ProposerOptions {
  /** The value this proposer wants chosen. */
  value: PaxosValue;
  acceptors: readonly NodeId[];
  /** Whom to tell the chosen value (Lamport §2.3). */
  learners: readonly NodeId[];
  /** When to send the first Prepare. Default 0. */
  startAtMs?: number;
  /** How long a phase may wait for a majority before the proposer starts a higher round. Default 50. */
  timeoutMs?: number;
  /**
   * The randomized back-off (Lamport §2.4): after a Nack the proposer waits uniform(0,
   * backoffMs) before its next round, and a phase timeout gets the same jitter. 0 lets two
   * proposers preempt each other forever (the dueling-proposers livelock). Default 30.
   */
  backoffMs?: number;
  /** The value-choice rule (a learner's); the reference by default. */
  rules?: Partial<PaxosRules>;
}

/** Where a proposer stands. 'waiting': between rounds (start delay or back-off). */
export type ProposerPhase = 'waiting' | 'prepare' | 'accept' | 'done';

/** All of a proposer's state, plain data (a model checker clones it). Only `round` is durable. */
export interface ProposerState {
  value: PaxosValue;
  phase: ProposerPhase;
  /** The highest round this proposer has used (persisted before use, so numbers are never reused). */
  round: number;
  /** The highest round seen in a Nack: the next round goes above it. */
  highestSeenRound: number;
  ballot: Ballot | null;
  /** Phase 1 answers of the current ballot: acceptor -> the proposal it reported (or null). */
  promises: Record<NodeId, Proposal | null>;
  /** The value sent in phase 2 of the current ballot. */
  proposed: PaxosValue | null;
  /** Acceptors that accepted the current ballot. */
  accepts: NodeId[];
  chosen: Proposal | null;
  /** Learners that acknowledged Chosen. */
  acked: NodeId[];
  /** Numbers the current timer; a Retry timer from an older attempt is stale. */
  attempt: number;
}

/** The durable-storage key of the proposer's round. */
export const PROPOSER_ROUND_KEY = 'round';

type Ctx = Context<PaxosMessage, PaxosTimer>;

/**
 * A Paxos proposer (提议者; Lamport §2.2). Phase 1: pick a number above any it used or saw,
 * persist it, send Prepare to every acceptor. On Promises from a majority: choose the value
 * with the pluggable `chooseValue` (P2c) and send Accept. On Accepted from a majority the
 * value is chosen: annotate 'chosen' ({ slot, value, ballot }) and tell the learners with
 * Chosen, re-sent until each acknowledges. A Nack (a higher promise) or a phase timeout
 * starts a higher round after a randomized back-off (§2.4).
 *
 * @example
 *   sim.addNode('p1', () => new Proposer({ value: 'x', acceptors: ['a1', 'a2', 'a3'], learners: ['l1'] }));
 */
export class Proposer implements ProtocolNode<PaxosMessage, PaxosTimer> {
  state: ProposerState;
  private readonly rules: PaxosRules;

  /** `state` lets a model checker re-instantiate the node around a cloned state. */
  constructor(private readonly options: ProposerOptions, state?: ProposerState) {
    this.rules = resolvePaxosRules(options.rules);
    this.state = state ?? {
      value: options.value,
      phase: 'waiting',
      round: 0,
      highestSeenRound: 0,
      ballot: null,
      promises: {},
      proposed: null,
      accepts: [],
      chosen: null,
      acked: [],
      attempt: 0,
    };
  }

  get majority(): number {
    return Math.floor(this.options.acceptors.length / 2) + 1;
  }

  init(ctx: Ctx): void {
    this.state.round = ctx.load<number>(PROPOSER_ROUND_KEY) ?? 0;
    const delayMs = Math.max(0, (this.options.startAtMs ?? 0) - ctx.now());
    if (delayMs === 0) this.startRound(ctx);
    else this.arm(ctx, delayMs);
  }

  onMessage(from: NodeId, msg: PaxosMessage, ctx: Ctx): void {
    const s = this.state;
    switch (msg.type) {
      case 'Promise': {
        if (s.phase !== 'prepare' || compareBallots(msg.ballot, s.ballot) !== 0) return; // stale
        s.promises[from] = msg.accepted;
        const answered = Object.keys(s.promises).sort();
        if (answered.length < this.majority) return;
        const reported = answered.map((a) => copyData(s.promises[a]));
        const value = this.rules.chooseValue(reported, s.value);
        if (typeof value !== 'string') {
          throw new Error(`chooseValue returned ${JSON.stringify(value)} for promises ${JSON.stringify(reported)} and own value ${JSON.stringify(s.value)}; it must return a value (a string)`);
        }
        s.phase = 'accept';
        s.proposed = value;
        s.promises = {}; // done with phase 1: forgetting keeps the state (and a model checker's state space) small
        s.accepts = [];
        ctx.annotate('proposing', { slot: 0, ballot: s.ballot, value });
        for (const a of this.options.acceptors) ctx.send(a, { type: 'Accept', slot: 0, ballot: s.ballot as Ballot, value });
        return;
      }
      case 'Accepted': {
        if (s.phase !== 'accept' || compareBallots(msg.ballot, s.ballot) !== 0 || s.accepts.includes(from)) return;
        s.accepts.push(from);
        s.accepts.sort();
        if (s.accepts.length < this.majority) return;
        s.phase = 'done';
        s.accepts = [];
        s.chosen = { ballot: msg.ballot, value: msg.value };
        ctx.annotate('chosen', { slot: 0, value: msg.value, ballot: msg.ballot });
        this.announce(ctx);
        return;
      }
      case 'Nack': {
        if (s.phase !== 'prepare' && s.phase !== 'accept') return;
        if (compareBallots(msg.ballot, s.ballot) !== 0 || compareBallots(msg.promised, s.ballot) <= 0) return; // not a preemption
        s.highestSeenRound = Math.max(s.highestSeenRound, msg.promised.round);
        s.phase = 'waiting';
        ctx.annotate('preempted', { slot: 0, ballot: s.ballot, by: msg.promised });
        this.arm(ctx, ctx.rng.uniform(0, this.options.backoffMs ?? 30));
        return;
      }
      case 'ChosenAck':
        if (!s.acked.includes(from)) s.acked = [...s.acked, from].sort();
        return;
      case 'Prepare':
      case 'Accept':
      case 'Chosen':
        return; // for acceptors and learners
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: PaxosTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'Retry':
        if (timer.attempt !== this.state.attempt) return; // stale: a newer timer replaced it
        if (this.state.phase === 'done') this.announce(ctx);
        else this.startRound(ctx);
        return;
      default:
        return assertNever(timer.type, 'timer');
    }
  }

  /** True while this proposer would act on a Retry timer (the model checker's retry action). */
  wantsRetry(): boolean {
    return this.state.phase !== 'done' || this.state.acked.length < this.options.learners.length;
  }

  /** Phase 1a (Lamport §2.2): a fresh number above all used or seen, persisted before it is sent. */
  private startRound(ctx: Ctx): void {
    const s = this.state;
    s.round = Math.max(s.round, s.highestSeenRound) + 1;
    ctx.persist(PROPOSER_ROUND_KEY, s.round);
    s.ballot = { round: s.round, node: ctx.id };
    s.phase = 'prepare';
    s.promises = {};
    s.proposed = null;
    s.accepts = [];
    ctx.annotate('prepare', { slot: 0, ballot: s.ballot, text: formatBallot(s.ballot) });
    for (const a of this.options.acceptors) ctx.send(a, { type: 'Prepare', slot: 0, ballot: s.ballot });
    this.arm(ctx, (this.options.timeoutMs ?? 50) + ctx.rng.uniform(0, this.options.backoffMs ?? 30));
  }

  /** Tells the learners that have not acknowledged, and re-arms until all have (§2.3). */
  private announce(ctx: Ctx): void {
    const s = this.state;
    const chosen = s.chosen as Proposal;
    const missing = this.options.learners.filter((l) => !s.acked.includes(l));
    for (const l of missing) ctx.send(l, { type: 'Chosen', slot: 0, ballot: chosen.ballot, value: chosen.value });
    if (missing.length > 0) this.arm(ctx, this.options.timeoutMs ?? 50);
  }

  private arm(ctx: Ctx, delayMs: number): void {
    this.state.attempt++;
    ctx.setTimer({ type: 'Retry', attempt: this.state.attempt }, delayMs);
  }
}
