import { Xid } from './xid';

/**
 * The one interface of a resource manager (资源管理器, RM) in the X/Open DTP model: the xa_*
 * calls a transaction manager (事务管理器, TM) makes (XA §5), plus the application's own work
 * on the branch (in DTP the application (AP) reaches the RM through the RM's native interface,
 * e.g. SQL; here that is one `update` of a row's balance, the work of a money transfer).
 * Every call returns a Promise so that a real database fits (lib/protocols/xa/postgres.ts);
 * the embedded store answers at once (lib/protocols/xa/driver.ts, `EmbeddedResourceManager`).
 * Return values are XA codes (lib/protocols/xa/xid.ts); a call never throws for a protocol
 * reason, only for a bug.
 *
 * The state table it must enforce (XA §6, simplified to one thread of control per branch):
 *
 *   no branch --start--> active --update--> active --end--> idle --prepare--> prepared
 *   idle --commit(onePhase)--> committed        prepared --commit--> committed
 *   active | idle | prepared --rollback--> rolled back
 *
 * Anything else is XAER_PROTO (prepare before end, commit of an active branch, ...), or
 * XAER_NOTA for an xid the RM does not know.
 *
 * @example
 *   const rm: ResourceManager = new EmbeddedResourceManager('bank-a', { a0: 100 });
 *   await rm.start(xid); await rm.update(xid, 'a0', -30); await rm.end(xid);
 *   await rm.prepare(xid); // XA_OK: the row stays locked until commit or rollback
 *   await rm.commit(xid, false);
 */
export interface ResourceManager {
  /** The RM's name (the store, the database): the bqual of its branches. */
  readonly name: string;
  /** xa_open: connect. */
  open(): Promise<void>;
  /** xa_close: disconnect (prepared branches stay prepared). */
  close(): Promise<void>;
  /** xa_start(TMNOFLAGS): begin a branch. XAER_DUPID if the xid is known. */
  start(xid: Xid): Promise<number>;
  /**
   * The AP's work on the branch: add `delta` to `account`'s balance under an exclusive row lock
   * (a debit is a negative delta). XA_RBINTEGRITY if the balance would go below zero,
   * XA_RBTIMEOUT if the row lock was not granted within the lock-wait timeout; in both cases the
   * branch is rolled back (rollback-only, as PostgreSQL aborts a transaction after an error).
   */
  update(xid: Xid, account: string, delta: number): Promise<number>;
  /** xa_end(TMSUCCESS): the AP is done with the branch. XA_RB* if the branch was rolled back. */
  end(xid: Xid): Promise<number>;
  /** xa_prepare: force the branch's work to the log and promise to commit it if told to; keeps the locks. */
  prepare(xid: Xid): Promise<number>;
  /** xa_commit: commit a prepared branch, or an idle one with `onePhase` (TMONEPHASE). */
  commit(xid: Xid, onePhase: boolean): Promise<number>;
  /** xa_rollback: roll back an active, idle or prepared branch. */
  rollback(xid: Xid): Promise<number>;
  /** xa_recover: the xids of this RM's prepared branches (of every TM: the caller picks its own). */
  recover(): Promise<Xid[]>;
}
