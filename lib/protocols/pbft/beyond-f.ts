import { PbftCheckResult } from '../../checkers/pbft';
import { pbftCluster } from './cluster';

/**
 * Why 2f+1 (OSDI §4.2, §4.5.1): two quorums of q replicas out of n share at least 2q - n of
 * them, and at least 2q - n - f of those are correct. With n = 3f+1 and q = 2f+1 that is 1: a
 * correct replica is in both and will not vote for two requests. With q = f+1 it is negative.
 *
 * @example
 *   quorumCorrectOverlap(4, 1, 3); // 1
 *   quorumCorrectOverlap(4, 1, 2); // -1: two quorums of f+1 may share no correct replica
 */
export function quorumCorrectOverlap(n: number, f: number, q: number): number {
  return 2 * q - n - f;
}

/**
 * A run beyond what PBFT claims: n = 4, f = 1, but TWO faulty replicas, an equivocating primary
 * (r1: request A to r3, request B to r4, both to r2) and an accomplice that prepares and
 * commits both (r2). r3 gathers 2f prepares and 2f+1 commits for A, r4 for B: the honest
 * replicas r3 and r4 execute different requests at sequence number 1.
 *
 * @example
 *   pbftBeyondF(1).safety; // { ok: false, property: 'Agreement', message: 'Agreement broken at seq 1: ...' }
 */
export function pbftBeyondF(seed: number | string = 1): { safety: PbftCheckResult; summary: string } {
  const c = pbftCluster({ seed, f: 1, clients: 2, operations: 2, allowBeyondF: true, byzantine: { r1: ['equivocate'], r2: ['double-vote'] } });
  c.run(300);
  return { safety: c.safety(), summary: c.summary() };
}
