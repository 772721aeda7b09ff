/**
 * A bounded model checker: every order of message delivery and loss of a small
 * configuration, breadth first, with a shortest counterexample (see explore.ts), and the
 * Basic Paxos model (paxos.ts).
 */
export * from './explore';
export * from './paxos';
