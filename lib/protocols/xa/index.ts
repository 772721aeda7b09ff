/**
 * XA and the X/Open DTP model (分布式事务处理模型): an application (AP), a transaction manager
 * (TM) and resource managers (RM) running money transfers with two-phase commit (presumed
 * abort) through the xa_* calls. The TM is a sans-IO state machine; it drives simulator nodes
 * over an embedded store (row locks, a write-ahead log) and, through the async driver, any
 * `ResourceManager`, such as PostgreSQL (`consensus-lab/protocols/xa/postgres`).
 *
 * @example
 *   import { normalTransfer, tmCrashBetweenPrepareAndCommit } from 'consensus-lab/protocols/xa';
 *   tmCrashBetweenPrepareAndCommit(1).summary;
 */
export * from './xid';
export * from './resource-manager';
export * from './store';
export * from './messages';
export * from './recovery';
export * from './tm';
export * from './nodes';
export * from './cluster';
export * from './scenarios';
export * from './chaos';
export * from './driver';
