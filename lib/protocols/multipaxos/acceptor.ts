import { copyData } from '../../core';
import { Ballot, Proposal, formatBallot } from '../paxos/messages';
import { AcceptorState, PaxosRules, checkReply } from '../paxos/rules';
import { SlotProposal } from './messages';

/**
 * The Multi-Paxos acceptor (接受者) as pure functions over its state, with the decisions left
 * to the Basic Paxos rules (lib/protocols/paxos/rules.ts) so that a learner's `onPrepare` and
 * `onAccept` run inside Multi-Paxos unchanged. Lamport §3: the acceptor runs one instance of
 * Paxos per slot, but a promise covers all slots at once, so the state is one promised ballot
 * and one accepted proposal per slot. For slot s the rules see exactly the Basic Paxos state
 *
 *     { promised: <the one promised ballot>, accepted: <what was accepted in slot s, or null> }
 *
 * (see `slotView`). The node persists what changed before it replies.
 */
export interface MultiAcceptorState {
  /** The highest ballot promised, for every slot at once. */
  promised: Ballot | null;
  /** The proposal accepted in each slot (slot number -> proposal); absent: nothing accepted. */
  accepted: Record<number, Proposal>;
}

/** The Basic Paxos acceptor state of slot `slot`: what the rules are called with. */
export function slotView(state: MultiAcceptorState, slot: number): AcceptorState {
  return { promised: state.promised, accepted: state.accepted[slot] ?? null };
}

/** What a Prepare does: the new promised ballot, and what the Promise carries (or a refusal). */
export type PrepareOutcome =
  | { reply: 'promise'; promised: Ballot | null; report: SlotProposal[] }
  | { reply: 'reject'; promised: Ballot | null };

/**
 * Phase 1b for every slot >= `fromSlot` at once (Lamport §3; PMMC's p1b). The decision is
 * `rules.onPrepare` on the state with no accepted proposal (a promise does not depend on a
 * slot); then, for each slot >= fromSlot where something was accepted, `rules.onPrepare` on
 * that slot's view says what the Promise reports for it (its `accepted`). Does not mutate
 * `state`; the caller adopts `promised` and persists it before it sends the Promise.
 *
 * @example
 *   prepareAllSlots({ promised: null, accepted: { 2: { ballot: b1, value: 'c1#1 put x 1' } } }, b2, 0, referencePaxosRules);
 *   // { reply: 'promise', promised: b2, report: [{ slot: 2, ballot: b1, value: 'c1#1 put x 1' }] }
 */
export function prepareAllSlots(state: MultiAcceptorState, ballot: Ballot, fromSlot: number, rules: PaxosRules): PrepareOutcome {
  const decision = rules.onPrepare({ promised: copyData(state.promised), accepted: null }, copyData(ballot));
  checkReply('onPrepare', decision, ['promise', 'reject'] as const, () => `state { promised: ${formatBallot(state.promised)}, accepted: null }, n ${formatBallot(ballot)}`);
  const promised = decision.newState.promised ?? null;
  if (decision.reply === 'reject') return { reply: 'reject', promised };
  const report: SlotProposal[] = [];
  for (const slot of acceptedSlots(state)) {
    if (slot < fromSlot) continue;
    const view = slotView(state, slot);
    const r = rules.onPrepare(copyData(view), copyData(ballot));
    checkReply('onPrepare', r, ['promise', 'reject'] as const, () => `state ${JSON.stringify(view)}, n ${formatBallot(ballot)}`);
    const reported = r.reply === 'promise' ? r.accepted ?? null : null;
    if (reported !== null) report.push({ slot, ballot: reported.ballot, value: reported.value });
  }
  return { reply: 'promise', promised, report };
}

/** What an Accept does to one slot: the new promised ballot and the slot's new accepted proposal. */
export interface AcceptOutcome {
  reply: 'accepted' | 'reject';
  promised: Ballot | null;
  accepted: Proposal | null;
}

/**
 * Phase 2b for one slot (Lamport §2.2 P1a, per slot as §3 runs one instance per slot): the
 * decision is `rules.onAccept` on the slot's view. Does not mutate `state`.
 *
 * @example
 *   acceptOneSlot({ promised: b2, accepted: {} }, 0, { ballot: b1, value: 'noop' }, referencePaxosRules).reply; // 'reject'
 */
export function acceptOneSlot(state: MultiAcceptorState, slot: number, proposal: Proposal, rules: PaxosRules): AcceptOutcome {
  const view = slotView(state, slot);
  const r = rules.onAccept(copyData(view), copyData(proposal));
  checkReply('onAccept', r, ['accepted', 'reject'] as const, () => `state ${JSON.stringify(view)}, proposal ${formatBallot(proposal.ballot)}=${proposal.value}`);
  return { reply: r.reply, promised: r.newState.promised ?? null, accepted: r.newState.accepted ?? null };
}

/** The slots with an accepted proposal, in increasing order. */
export function acceptedSlots(state: MultiAcceptorState): number[] {
  return Object.keys(state.accepted)
    .map(Number)
    .sort((a, b) => a - b);
}
