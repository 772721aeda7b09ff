/**
 * Multi-Paxos (Lamport, "Paxos Made Simple", 2001, §3; van Renesse & Altinbuken, "Paxos Made
 * Moderately Complex", 2015): a stable leader elected through phase 1 for all slots at once,
 * one Accept round per command afterwards, a log of slots applied in order by replicas to a
 * key-value store, client requests forwarded to the leader and executed at most once, a new
 * leader completing half-done slots (highest accepted value, else a no-op), and lagging
 * replicas catching up. Built on the Basic Paxos vocabulary and pluggable rules of
 * lib/protocols/paxos. Checker: lib/checkers/multipaxos.ts.
 *
 * @example
 *   import { multiPaxosCluster } from 'consensus-lab/protocols/multipaxos';
 *   const c = multiPaxosCluster({ seed: 1, servers: 5 });
 *   c.runUntilSettled();
 *   c.safety(); // { ok: true }
 */
export * from './messages';
export * from './acceptor';
export * from './state-machine';
export * from './node-state';
export * from './node';
export * from './client';
export * from './cluster';
export * from './chaos';
export * from './scenarios';
export * from './compare';
