/**
 * Exercise: the heart of Basic Paxos, the acceptor's two promises and one answer, and the
 * proposer's choice of value (Lamport, "Paxos Made Simple", 2001, §2.2).
 *
 * Write the four functions below. Each is small; the understanding lives in them. The graded
 * tests check each contract on its own, then plug all four into the real nodes
 * (lib/protocols/paxos, and Multi-Paxos in lib/protocols/multipaxos) and run them under
 * message loss, duplication, reordering, partitions and crashes, with a crash right after a
 * reply, and in a model checker that tries every order of delivery at a small size. They
 * check that at most one value is ever chosen, and that one is chosen once the faults stop.
 *
 * Read first: notebooks/03-paxos.ipynb ("Paxos promises"), and the contracts in
 * lib/protocols/paxos/rules.ts. Grade your work with:
 *
 *     npm run grade -- paxos
 *
 * Proposal numbers (提案编号) are ballots { round, node }, ordered by round, then node id:
 * use `compareBallots(a, b)` (negative, zero or positive; null is lowest of all).
 */
import { NotImplemented } from '../lib/grade';
import {
  compareBallots,
  type AcceptorIO,
  type AcceptorRequest,
  type AcceptorState,
  type Ballot,
  type PaxosValue,
  type Proposal,
} from '../lib/protocols/paxos';

// ---------------------------------------------------------------------------------------------
// Part 1: the acceptor's promise (phase 1b)
// ---------------------------------------------------------------------------------------------

/**
 * The acceptor (接受者) receives Prepare(n). `state.promised` is the highest number it has
 * promised so far (or null), `state.accepted` the highest-numbered proposal it has accepted
 * (or null).
 * - If `n` is strictly higher than `state.promised` (or nothing is promised yet), promise:
 *   return `{ reply: 'promise', newState: { promised: n, accepted: state.accepted }, accepted: state.accepted }`.
 *   The Promise carries `accepted`: that is how a later proposer learns of a value that may
 *   already be chosen.
 * - Otherwise (n equal to or lower than the promise) return `{ reply: 'reject', newState: state }`.
 * - Do not change `state` itself; return a new object.
 *
 * Why strictly higher: a promise to n means "I will answer no Prepare numbered n or lower".
 * Answering an equal number twice lets two proposers both believe they hold round n.
 */
export function onPrepare(state: AcceptorState, n: Ballot): { reply: 'promise'; newState: AcceptorState; accepted: Proposal | null } | { reply: 'reject'; newState: AcceptorState } {
  // TODO: compare n with state.promised (compareBallots); promise or reject as above.
  throw new NotImplemented('onPrepare(state, n) in exercises/paxos.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 2: the acceptor's acceptance (phase 2b)
// ---------------------------------------------------------------------------------------------

/**
 * The acceptor receives Accept(n, v), as `proposal` = { ballot: n, value: v }.
 * - If `proposal.ballot` is equal to or higher than `state.promised` (or nothing is promised),
 *   accept: return `{ reply: 'accepted', newState: { promised: proposal.ballot, accepted: proposal } }`.
 * - Otherwise return `{ reply: 'reject', newState: state }`.
 *
 * Why: it promised n to someone, which means "I accept nothing numbered below n" (P1a). A
 * proposer with a lower number may not know about a value the higher one is carrying.
 */
export function onAccept(state: AcceptorState, proposal: Proposal): { reply: 'accepted' | 'reject'; newState: AcceptorState } {
  // TODO: compare proposal.ballot with state.promised; accept or reject as above.
  throw new NotImplemented('onAccept(state, proposal) in exercises/paxos.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 3: the proposer's value (phase 2a)
// ---------------------------------------------------------------------------------------------

/**
 * The proposer (提案者) has Promises from a majority. `promises` holds, one entry per acceptor,
 * the proposal that acceptor reported as accepted, or null. Return the value of the entry
 * with the highest ballot; if every entry is null, return `ownValue`.
 *
 * Why: a value accepted by a majority may already be chosen, and every majority shares an
 * acceptor with that one. Proposing the highest-numbered accepted value keeps the chosen
 * value chosen (P2c). The highest, not any: lower ones may be leftovers of rounds that lost.
 */
export function chooseValue(promises: readonly (Proposal | null)[], ownValue: PaxosValue): PaxosValue {
  // TODO: find the reported proposal with the highest ballot; fall back to ownValue.
  throw new NotImplemented('chooseValue(promises, ownValue) in exercises/paxos.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 4: the acceptor's request handler: decide, write, reply
// ---------------------------------------------------------------------------------------------

/**
 * The acceptor node calls this for every Prepare and Accept it receives. `io.state` is its
 * state now. Decide with your rule (onPrepare for a Prepare, using `request.ballot`; onAccept
 * for an Accept, with `{ ballot: request.ballot, value: request.value }`), then call
 * `io.persist(decision.newState)` to write the new state to disk, then `io.reply(decision)`,
 * which adopts the new state in memory and sends the Promise, Accepted or Nack.
 *
 * Why the order: a reply is a promise the proposer will count on. If it leaves first and the
 * acceptor crashes before the write, the restarted acceptor has forgotten what it promised or
 * accepted, and two values can be chosen. The graded tests crash acceptors right after a reply.
 */
export function handleRequest(io: AcceptorIO, request: AcceptorRequest): void {
  // TODO: decide with onPrepare or onAccept; io.persist the new state; then io.reply.
  throw new NotImplemented('handleRequest(io, request) in exercises/paxos.ts');
}
