/**
 * A bounded model checker: every order of message delivery, loss and duplication of a small
 * configuration, with crashes, breadth first, with a shortest counterexample (see
 * explore.ts and README.md), the Basic Paxos model (paxos.ts), and a wrapper that plants
 * the reply-before-persist bug in a node (wrappers.ts).
 */
export * from './explore';
export * from './paxos';
export * from './wrappers';
