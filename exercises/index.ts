/** The learner's exercises, one module per topic (notebooks import them as `consensus-lab-exercises`). */
export * as twophase from './twophase';
export * as paxos from './paxos';
export * as raft from './raft';
export * as zab from './zab';
export * as quorum from './quorum';
export * as gossip from './gossip';
export * as hashring from './hashring';
export * as pow from './pow';
export * as pbft from './pbft';
export * as tcc from './tcc';
export * as xa from './xa';
