/**
 * TCC (Try-Confirm-Cancel, 补偿型事务): the money-transfer example run by a transaction manager
 * inside the application and two stores that reserve, confirm and cancel, with the stores'
 * pluggable rules (idempotence, empty rollback 空回滚, suspension 悬挂), a cluster builder, the
 * notebook's scenarios and a chaos sweep. The checker is lib/checkers/tcc.
 *
 * @example
 *   import { runTccTransfers } from 'consensus-lab/protocols/tcc';
 *   runTccTransfers({ seed: 1, workload: { transfers: 100 } }).report;
 */
export * from './messages';
export * from './rules';
export * from './participant';
export * from './coordinator';
export * from './cluster';
export * from './scenarios';
export * from './chaos';
