/**
 * Availability against consistency: a replicated register run as CP (majority quorums, a
 * fixed primary) and as AP (local service, reconciliation by last-writer-wins or by vector
 * clocks with siblings) under the same partition schedule (Gilbert & Lynch 2002), and the
 * BASE side of AP: how long replicas take to agree after writes stop, and three repairs
 * (read repair, write repair with hinted handoff, anti-entropy over Merkle trees) compared.
 *
 * @example
 *   import { capComparison, baseComparison } from 'consensus-lab/protocols/cap';
 *   capComparison({ seed: 1 }).rows;
 *   baseComparison({ seed: 1 }).rows;
 */
export * from './messages';
export * from './merkle';
export * from './replica';
export * from './client';
export * from './cluster';
export * from './measures';
export * from './compare';
export * from './base';
