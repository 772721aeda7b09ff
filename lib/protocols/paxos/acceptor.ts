import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { PaxosMessage, PaxosTimer, Proposal, formatBallot } from './messages';
import { AcceptorDecision, AcceptorIO, AcceptorRequest, AcceptorState, PaxosRules, checkReply, resolvePaxosRules } from './rules';

/** Options of an acceptor. */
export interface AcceptorOptions {
  /**
   * The acceptor rules and request handler (a learner's); the references by default.
   * `brokenPaxosRules.neverPersist` and `.replyBeforePersist` are the classic persistence bugs.
   */
  rules?: Partial<PaxosRules>;
}

/** The durable-storage key of the acceptor's state. */
export const ACCEPTOR_STATE_KEY = 'acceptor';

type Ctx = Context<PaxosMessage, PaxosTimer>;

/**
 * A Paxos acceptor (接受者; Lamport §2.2). All of its state is `state` (plain data): the
 * highest number promised and the highest-numbered proposal accepted. Each Prepare or Accept
 * goes to the pluggable `handleRequest`, which decides with the `onPrepare` / `onAccept`
 * rules, persists through `io.persist` and answers through `io.reply`; this class lends it
 * the disk and the network and checks what the rules return.
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
  constructor(options: AcceptorOptions = {}, state?: AcceptorState) {
    this.rules = resolvePaxosRules(options.rules);
    this.state = state ?? { promised: null, accepted: null };
  }

  init(ctx: Ctx): void {
    const stored = ctx.load<AcceptorState>(ACCEPTOR_STATE_KEY);
    if (stored !== undefined) this.state = stored;
  }

  onMessage(from: NodeId, msg: PaxosMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Prepare':
      case 'Accept':
        return this.handle(from, msg, ctx);
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

  /** Runs the request handler with this node's disk and network; checks that it replied once. */
  private handle(from: NodeId, request: AcceptorRequest, ctx: Ctx): void {
    const before = this.state;
    const shown = () => `state ${JSON.stringify(before)}, ${request.type === 'Prepare' ? `n ${formatBallot(request.ballot)}` : `proposal ${formatBallot(request.ballot)}=${request.value}`}`;
    let replies = 0;
    const io: AcceptorIO = {
      state: copyData(before),
      persist: (state) => {
        const checked = acceptorState(state, 'io.persist', shown);
        if (JSON.stringify(checked) !== JSON.stringify(ctx.load(ACCEPTOR_STATE_KEY) ?? null)) ctx.persist(ACCEPTOR_STATE_KEY, checked);
      },
      reply: (decision) => {
        if (++replies > 1) throw new Error(`handleRequest called io.reply twice for ${shown()}; an acceptor answers each request once`);
        this.reply(from, request, decision, shown, ctx);
      },
    };
    this.rules.handleRequest(io, copyData(request), this.rules);
    if (replies === 0) {
      throw new Error(`handleRequest did not call io.reply for ${shown()}; it must answer every Prepare and Accept (a Promise, an Accepted or a Nack)`);
    }
  }

  /** Adopts the decision's state in memory and sends the reply it stands for. */
  private reply(to: NodeId, request: AcceptorRequest, decision: AcceptorDecision, shown: () => string, ctx: Ctx): void {
    const { slot, ballot } = request;
    if (request.type === 'Prepare') {
      const reply = checkReply('onPrepare', decision, ['promise', 'reject'] as const, shown);
      this.state = acceptorState(decision.newState, 'onPrepare newState', shown);
      if (reply === 'promise') {
        ctx.annotate('promised', { slot, ballot });
        ctx.send(to, { type: 'Promise', slot, ballot, accepted: (decision as { accepted?: Proposal | null }).accepted ?? null });
        return;
      }
    } else {
      const reply = checkReply('onAccept', decision, ['accepted', 'reject'] as const, shown);
      this.state = acceptorState(decision.newState, 'onAccept newState', shown);
      if (reply === 'accepted') {
        ctx.annotate('accepted', { slot, ballot, value: request.value });
        ctx.send(to, { type: 'Accepted', slot, ballot, value: request.value });
        return;
      }
    }
    const promised = this.state.promised ?? ballot;
    ctx.annotate('rejected', { slot, ballot, promised });
    ctx.send(to, { type: 'Nack', slot, ballot, promised });
  }
}

/** An AcceptorState with both fields present (null where missing); throws naming `what` for a non-object. */
function acceptorState(state: unknown, what: string, shown: () => string): AcceptorState {
  if (!state || typeof state !== 'object') throw new Error(`${what} was ${JSON.stringify(state)} for ${shown()}; it must be an AcceptorState { promised, accepted }`);
  const s = state as Partial<AcceptorState>;
  return { promised: s.promised ?? null, accepted: s.accepted ?? null };
}
