/**
 * Checkers: pure functions over a trace (or records built from one) that say whether an
 * invariant held, and if not, which one broke, where and when.
 */
export * from './atomicity';
export * from './linearizability';
export * from './paxos';
export * from './multipaxos';
export * from './raft';
export * from './zab';
export * from './pbft';
export * from './tcc';
