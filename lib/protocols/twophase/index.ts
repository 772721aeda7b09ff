/**
 * Atomic commitment (原子提交): two-phase commit (Gray 1978; Bernstein, Hadzilacos & Goodman
 * 1987 ch. 7.4) and three-phase commit (Skeen 1981; BHG ch. 7.5) on the simulator, with their
 * pluggable decision rules, a cluster builder, the notebook's scenarios and a chaos sweep.
 * The atomicity checker is in lib/checkers.
 *
 * @example
 *   import { normalCommit, coordinatorCrashAfterPrepare } from 'consensus-lab/protocols/twophase';
 *   coordinatorCrashAfterPrepare(1, 1000).summary;
 */
export * from './messages';
export * from './log';
export * from './rules';
export * from './locks';
export * from './coordinator';
export * from './participant';
export * from './threephase-coordinator';
export * from './threephase-participant';
export * from './outcomes';
export * from './cluster';
export * from './scenarios';
export * from './chaos';
