/**
 * ZAB, ZooKeeper's atomic broadcast (Junqueira, Reed & Serafini, "Zab: High-performance
 * broadcast for primary-backup systems", DSN 2011; Medeiros, "ZooKeeper's atomic broadcast
 * protocol: Theory and practice", 2012): zxids, fast leader election, discovery,
 * synchronization by DIFF / TRUNC / SNAP, broadcast with PROPOSAL / ACK / COMMIT, local and
 * sync reads, on FIFO sessions. The two decisions a learner writes are pluggable (`compareVotes`,
 * `chooseSync`). Scripted scenarios, the primary-order comparison with per-slot Paxos, a
 * comparison with Raft and a chaos sweep. Checkers: lib/checkers/zab.ts.
 *
 * @example
 *   import { zabCluster } from 'consensus-lab/protocols/zab';
 *   const c = zabCluster({ seed: 1, servers: 3, clients: 2, clientOptions: { operations: 20 } });
 *   c.runUntil(() => c.clientsIdle());
 *   c.safety();           // { ok: true }
 *   c.linearizability();  // { ok: true, ... }
 */
export * from './messages';
export * from './rules';
export * from './state';
export * from './node';
export * from './client';
export * from './cluster';
export * from './grid';
export * from './scenarios';
export * from './primary-order';
export * from './compare';
export * from './chaos';
