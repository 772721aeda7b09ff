/**
 * Proof of work and Nakamoto consensus (Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash
 * System", 2008): SHA-256 puzzles and the attempts they take (§4), blocks and chains with
 * fork choice by most cumulative work (§4, §5), miners on the simulator with simulated hashing,
 * block propagation, forks and difficulty retargeting, and the attacker's race (§11) by
 * simulation beside the paper's formula. The pluggable rules (the exercise) are `mine` and
 * `chooseChain`; `brokenPowRules` holds the classic slips.
 *
 * @example
 *   import { powCluster, nakamotoAttackerSuccess } from 'consensus-lab/protocols/pow';
 *   nakamotoAttackerSuccess(0.1, 5); // 0.0009137
 *   const c = powCluster({ seed: 1 }); c.run(60_000); c.summary();
 */
export * from './puzzle';
export * from './chain';
export * from './miner';
export * from './cluster';
export * from './attack';
export * from './scenarios';
