/**
 * A bounded model checker: every order of message delivery, loss and duplication of a small
 * configuration, with crashes, breadth first, with a shortest counterexample (see
 * explore.ts and README.md) and the Basic Paxos model (paxos.ts). The persistence bugs are
 * rules (brokenPaxosRules.neverPersist, .replyBeforePersist in lib/protocols/paxos).
 */
export * from './explore';
export * from './paxos';
