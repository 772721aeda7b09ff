/**
 * PBFT (Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999; TOCS 2002): n = 3f+1
 * replicas with HMAC-authenticated messages, the three-phase normal case, checkpoints and
 * garbage collection, view changes, pluggable predicates (rules.ts), Byzantine behaviours as
 * options, a chaos sweep and the message-cost measurement. Checkers: lib/checkers/pbft.ts.
 *
 * @example
 *   import { pbftCluster } from 'consensus-lab/protocols/pbft';
 *   const c = pbftCluster({ seed: 1, f: 1, operations: 5 });
 *   c.runUntil(c.clientsIdle);
 *   c.safety(); // { ok: true }
 */
export * from './messages';
export * from './auth';
export * from './rules';
export * from './node';
export * from './client';
export * from './cluster';
export * from './chaos';
export * from './cost';
export * from './beyond-f';
export * from './scenarios';
