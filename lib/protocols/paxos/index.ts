/**
 * Basic Paxos (Lamport, "Paxos Made Simple", 2001): proposers, acceptors and learners on the
 * simulator, with the acceptor's two rules and the proposer's value choice pluggable (the
 * exercise), a cluster builder, notebook scenarios and a chaos sweep. The agreement checker
 * is lib/checkers/paxos.ts; the bounded model checker that explores every delivery order is
 * lib/modelcheck (see `paxosModel` there).
 *
 * @example
 *   import { paxosCluster } from 'consensus-lab/protocols/paxos';
 *   const c = paxosCluster({ seed: 1, proposers: ['x', 'y'] });
 *   c.runUntilLearned();
 *   c.summary();
 */
export * from './messages';
export * from './rules';
export * from './acceptor';
export * from './proposer';
export * from './learner';
export * from './cluster';
export * from './scenarios';
export * from './chaos';
export * from './timeline';
