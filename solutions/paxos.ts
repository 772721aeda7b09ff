/**
 * Exercise: the acceptor's promises, the proposer's value choice and the acceptor's request
 * handler (Basic Paxos). Reference solution. The learner's version is exercises/paxos.ts,
 * with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read
 * them, with their contracts, in lib/protocols/paxos/rules.ts (Lamport, "Paxos Made Simple",
 * 2001, §2.2: phase 1b and P1a for onPrepare and onAccept, P2c for chooseValue, the last
 * paragraph of §2.2 for handleRequest's write-before-reply).
 */
import { handleRequest as referenceHandleRequest, referencePaxosRules, type AcceptorIO, type AcceptorRequest } from '../lib/protocols/paxos';

export { onPrepare, onAccept, chooseValue } from '../lib/protocols/paxos';

/** Decide with the reference onPrepare / onAccept, persist, then reply. */
export function handleRequest(io: AcceptorIO, request: AcceptorRequest): void {
  referenceHandleRequest(io, request, referencePaxosRules);
}
