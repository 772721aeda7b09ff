import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { PaxosMessage, PaxosTimer, Proposal } from './messages';

/** All of a learner's state, plain data; persisted when it changes. */
export interface LearnerState {
  learned: Proposal | null;
}

/** The durable-storage key of what a learner learned. */
export const LEARNER_STATE_KEY = 'learned';

type Ctx = Context<PaxosMessage, PaxosTimer>;

/**
 * A Paxos learner (学习者; Lamport §2.3): it learns the chosen value from a proposer's Chosen
 * message, persists it, annotates 'learned' ({ slot, value, ballot }) and acknowledges. A
 * Chosen with a different value than the one it learned is a safety violation upstream: it is
 * annotated 'learned' too (so the agreement checker reports it) and otherwise ignored.
 *
 * @example
 *   sim.addNode('l1', () => new Learner());
 */
export class Learner implements ProtocolNode<PaxosMessage, PaxosTimer> {
  state: LearnerState;

  constructor(state?: LearnerState) {
    this.state = state ?? { learned: null };
  }

  init(ctx: Ctx): void {
    this.state.learned = ctx.load<Proposal>(LEARNER_STATE_KEY) ?? null;
  }

  onMessage(from: NodeId, msg: PaxosMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'Chosen': {
        const learned = this.state.learned;
        if (learned === null) {
          this.state.learned = { ballot: msg.ballot, value: msg.value };
          ctx.persist(LEARNER_STATE_KEY, this.state.learned);
          ctx.annotate('learned', { slot: msg.slot, value: msg.value, ballot: msg.ballot });
        } else if (learned.value !== msg.value) {
          ctx.annotate('learned', { slot: msg.slot, value: msg.value, ballot: msg.ballot, conflict: learned.value });
        }
        ctx.send(from, { type: 'ChosenAck', slot: msg.slot });
        return;
      }
      case 'Prepare':
      case 'Promise':
      case 'Nack':
      case 'Accept':
      case 'Accepted':
      case 'ChosenAck':
        return;
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(_timer: PaxosTimer, _ctx: Ctx): void {
    // Learners set no timers.
  }
}
