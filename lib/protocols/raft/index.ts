/**
 * Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm (Extended
 * Version)", 2014; Ongaro's dissertation, 2014, for membership changes and client sessions):
 * servers on the simulator with the three decisions a learner writes pluggable (vote granting,
 * the AppendEntries receiver, the leader's commit rule), snapshots, single-server membership
 * changes, a key-value service with sessions, a 6.824-style test harness and lab tests,
 * scripted scenarios, a chaos sweep and the Figure 16 election-timing experiment. The checkers
 * of Figure 3's five properties are in lib/checkers/raft.ts.
 *
 * @example
 *   import { raftCluster } from 'consensus-lab/protocols/raft';
 *   const c = raftCluster({ seed: 1, servers: 5, kvClients: 2 });
 *   c.run(2000);
 *   c.safety();           // { ok: true }
 *   c.linearizability();  // { ok: true, ... }
 */
export * from './messages';
export * from './log';
export * from './rules';
export * from './machine';
export * from './node';
export * from './kv';
export * from './cluster';
export * from './harness';
export * from './lab-tests';
export * from './scenarios';
export * from './chaos';
export * from './election-timing';
export * from './grid';
