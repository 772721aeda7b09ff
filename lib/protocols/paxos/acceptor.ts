import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { Ballot, PaxosMessage, PaxosTimer, formatBallot } from './messages';
import { AcceptorState, PaxosRules, checkReply, resolvePaxosRules } from './rules';

/** Options of an acceptor. */
export interface AcceptorOptions {
  /** The acceptor rules (a learner's); the references by default. */
  rules?: Partial<PaxosRules>;
  /**
   * 'before-reply' (default, correct): the new state is persisted with `ctx.persist` before
   * the reply is sent (Lamport §2.2 end: "an acceptor must remember this information even if
   * it fails and then restarts"). 'none' is the classic bug: the state lives in memory only,
   * as if the reply went out before the write reached the disk, so a crash and restart forget
   * promises and acceptances.
   */
  persistence?: 'before-reply' | 'none';
}

/** The durable-storage key of the acceptor's state. */
export const ACCEPTOR_STATE_KEY = 'acceptor';

type Ctx = Context<PaxosMessage, PaxosTimer>;

/**
 * A Paxos acceptor (接受者; Lamport §2.2). All of its state is `state` (plain data): the
 * highest number promised and the highest-numbered proposal accepted. The decisions are the
 * pluggable `onPrepare` and `onAccept` rules; this class only persists and replies.
 * Annotations: 'promised' and 'accepted' ({ slot, ballot, value }: what the agreement checker
 * reads to see a majority accept), 'rejected'.
 *
 * @example
 *   sim.addNode('a1', () => new Acceptor());
 */
export class Acceptor implements ProtocolNode<PaxosMessage, PaxosTimer> {
  state: AcceptorState;
  private readonly rules: PaxosRules;

  /** `state` lets a model checker re-instantiate the node around a cloned state. */
  constructor(private readonly options: AcceptorOptions = {}, state?: AcceptorState) {
    this.rules = resolvePaxosRules(options.rules);
    this.state = state ?? { promised: null, accepted: null };
  }

  init(ctx: Ctx): void {
    const stored = ctx.load<AcceptorState>(ACCEPTOR_STATE_KEY);
    if (stored !== undefined) this.state = stored;
  }

  onMessage(from: NodeId, msg: PaxosMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Prepare': {
        const input = copyData(this.state);
        const result = this.rules.onPrepare(input, copyData(msg.ballot));
        checkReply('onPrepare', result, ['promise', 'reject'] as const, () => `state ${JSON.stringify(this.state)}, n ${formatBallot(msg.ballot)}`);
        this.update(result.newState, ctx);
        if (result.reply === 'promise') {
          ctx.annotate('promised', { slot: msg.slot, ballot: msg.ballot });
          ctx.send(from, { type: 'Promise', slot: msg.slot, ballot: msg.ballot, accepted: result.accepted ?? null });
        } else {
          this.nack(from, msg.slot, msg.ballot, ctx);
        }
        return;
      }
      case 'Accept': {
        const proposal = { ballot: msg.ballot, value: msg.value };
        const result = this.rules.onAccept(copyData(this.state), copyData(proposal));
        checkReply('onAccept', result, ['accepted', 'reject'] as const, () => `state ${JSON.stringify(this.state)}, proposal ${formatBallot(msg.ballot)}=${msg.value}`);
        this.update(result.newState, ctx);
        if (result.reply === 'accepted') {
          ctx.annotate('accepted', { slot: msg.slot, ballot: msg.ballot, value: msg.value });
          ctx.send(from, { type: 'Accepted', slot: msg.slot, ballot: msg.ballot, value: msg.value });
        } else {
          this.nack(from, msg.slot, msg.ballot, ctx);
        }
        return;
      }
      case 'Promise':
      case 'Nack':
      case 'Accepted':
      case 'Chosen':
      case 'ChosenAck':
        return; // for proposers and learners
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(_timer: PaxosTimer, _ctx: Ctx): void {
    // Acceptors set no timers.
  }

  /** Adopts the rule's new state and, unless the buggy 'none', persists it before any reply. */
  private update(newState: AcceptorState, ctx: Ctx): void {
    const changed = JSON.stringify(newState) !== JSON.stringify(this.state);
    this.state = { promised: newState.promised ?? null, accepted: newState.accepted ?? null };
    if (changed && (this.options.persistence ?? 'before-reply') === 'before-reply') ctx.persist(ACCEPTOR_STATE_KEY, this.state);
  }

  private nack(to: NodeId, slot: number, ballot: Ballot, ctx: Ctx): void {
    const promised = this.state.promised ?? ballot;
    ctx.annotate('rejected', { slot, ballot, promised });
    ctx.send(to, { type: 'Nack', slot, ballot, promised });
  }
}
