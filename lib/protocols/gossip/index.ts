/**
 * Epidemic replication (Demers et al., "Epidemic algorithms for replicated database
 * maintenance", PODC 1987): direct mail, anti-entropy (push, pull, push-pull, with digests)
 * and rumor mongering (push, feedback, counter or coin) on the simulator; a round-synchronous
 * model for n up to 100,000; chart data for the notebook; the merge rules of anti-entropy
 * (last-writer-wins and vector clocks with siblings), pluggable for the exercise, with broken
 * variants and a property checker.
 *
 * @example
 *   import { gossipCluster, disseminationCurve } from 'consensus-lab/protocols/gossip';
 *   gossipCluster({ seed: 1, n: 200, antiEntropy: { mode: 'push' } }).spread().roundsToAll;
 *   disseminationCurve({ ns: [1000, 100_000] });
 */
export * from './versions';
export * from './merge';
export * from './merge-properties';
export * from './messages';
export * from './node';
export * from './cluster';
export * from './rounds';
export * from './curves';
export * from './scenarios';
