import { ConfigError } from '../../core';
import {
  Xid,
  XAER_DUPID,
  XAER_INVAL,
  XAER_NOTA,
  XAER_PROTO,
  XA_OK,
  XA_RBINTEGRITY,
  XA_RBTIMEOUT,
  XA_RDONLY,
  xidToString,
} from './xid';

/**
 * The embedded resource manager: a small bank store with exclusive row locks and a write-ahead
 * log (预写日志, WAL), enough to show what a real database does under XA (Gray & Reuter 1993,
 * "Transaction Processing", ch. 7 locking and ch. 9-10 logging and recovery; XA §2.2-§2.3).
 *
 * - Rows are accounts with balances. An update takes the row's exclusive lock (行锁) and keeps
 *   it until the branch commits or rolls back (strict two-phase locking). Waiters queue first
 *   in, first out; a waiter that is not granted within the lock-wait timeout gives up and its
 *   branch is rolled back (XA_RBTIMEOUT), as PostgreSQL does with `lock_timeout`. That is what
 *   ends a distributed deadlock (两个转账以相反顺序锁行): no single RM can see the cycle.
 * - Durable state is only the WAL: an `open` record with the opening balances, then `prepare`
 *   (the branch's writes, forced before xa_prepare answers), `commit` and `rollback`. Balances,
 *   locks and branches are volatile and rebuilt by `replayWal` after a crash: committed work is
 *   redone, a prepared branch comes back prepared WITH its row locks held (PostgreSQL does the
 *   same with a prepared transaction after a restart), and every other branch is gone (rolled
 *   back: its writes were never logged).
 *
 * The store does no I/O: it calls `StoreEvents` for each effect, and the simulator node
 * (nodes.ts) or the async wrapper (driver.ts) turns them into persists, notes and replies.
 * Its state is plain data.
 */

/** One change of one row: `delta` added to `account`'s balance (negative: a debit). */
export interface RowWrite {
  account: string;
  delta: number;
}

/** A record of the store's write-ahead log, oldest first. */
export type WalRecord =
  | { type: 'open'; balances: Record<string, number> }
  | { type: 'prepare'; xid: Xid; writes: RowWrite[] }
  | { type: 'commit'; xid: Xid; writes: RowWrite[] }
  | { type: 'rollback'; xid: Xid };

/**
 * A branch's state (XA §6 state table): active (after xa_start), idle (after xa_end),
 * prepared, or rollback-only (the RM rolled it back on its own: a failed update, a lock-wait
 * or branch timeout; it waits for the TM's xa_rollback to be forgotten).
 */
export type BranchState = 'active' | 'idle' | 'prepared' | 'rollback-only';

export interface StoreBranch {
  xid: Xid;
  state: BranchState;
  writes: RowWrite[];
  /** Rows whose lock this branch holds. */
  locks: string[];
  /** An update waiting for a row lock, or null. */
  waiting: RowWrite | null;
  /** For rollback-only: the XA_RB* code every later call answers. */
  rollbackCode: number | null;
  startedAtMs: number;
}

export interface RowLock {
  /** The xid key (xidToString) of the holder. */
  holder: string;
  /** Xid keys waiting, first come first served. */
  waiters: string[];
}

/** All of a store's volatile state, as plain data. */
export interface StoreState {
  balances: Record<string, number>;
  branches: Record<string, StoreBranch>;
  locks: Record<string, RowLock>;
  /** Xid keys this store committed or rolled back: a later xa_start of one is XAER_DUPID. */
  finished: string[];
}

/** What the store tells its host; every call happens before the call that caused it returns. */
export interface StoreEvents {
  /** Append `record` to the durable log (forced: it must be durable when this returns). */
  wal(record: WalRecord): void;
  lockAcquired(xid: Xid, account: string, recovered: boolean): void;
  lockReleased(xid: Xid, account: string, outcome: 'commit' | 'abort'): void;
  /** The branch's outcome is final at this store. */
  outcome(xid: Xid, outcome: 'commit' | 'abort'): void;
  /** A queued update finished later (granted, refused or timed out) with `code`. */
  updateDone(xid: Xid, code: number): void;
}

/** Events that do nothing: for a store used without a host. */
export const quietStoreEvents: StoreEvents = { wal() {}, lockAcquired() {}, lockReleased() {}, outcome() {}, updateDone() {} };

/**
 * The store's operations over its state. One instance per incarnation: after a crash, build a
 * new one with `EmbeddedStore.recover(wal, ...)`.
 *
 * @example
 *   const wal: WalRecord[] = [];
 *   const store = EmbeddedStore.create({ a0: 100 }, { ...quietStoreEvents, wal: (r) => wal.push(r) });
 *   const xid = makeXid('tm.t0', 'bank-a');
 *   store.start(xid, 0); store.update(xid, 'a0', -30); store.end(xid); store.prepare(xid);
 *   const after = EmbeddedStore.recover(wal, quietStoreEvents, 50); // a crash: t0 is still prepared
 *   after.recover();        // [xid]
 *   after.heldLocks();      // [{ account: 'a0', holder: 'xa:17228:tm.t0:bank-a', waiters: [] }]
 */
export class EmbeddedStore {
  private constructor(readonly state: StoreState, private readonly events: StoreEvents) {}

  /** A fresh store: logs the opening balances. */
  static create(balances: Record<string, number>, events: StoreEvents): EmbeddedStore {
    for (const [account, balance] of Object.entries(balances)) {
      if (!Number.isFinite(balance) || balance < 0) throw new ConfigError(`balances.${account}`, 'a number >= 0', balance);
    }
    events.wal({ type: 'open', balances: { ...balances } });
    return new EmbeddedStore({ balances: { ...balances }, branches: {}, locks: {}, finished: [] }, events);
  }

  /**
   * Restart after a crash: replays the WAL (Gray & Reuter ch. 10, redo of committed work;
   * XA §2.3: an RM must remember its prepared branches across failures). Committed writes are
   * applied, prepared branches come back prepared and take their row locks again, everything
   * else is forgotten.
   */
  static recover(wal: readonly WalRecord[], events: StoreEvents, nowMs: number): EmbeddedStore {
    const state: StoreState = { balances: {}, branches: {}, locks: {}, finished: [] };
    for (const record of wal) {
      if (record.type === 'open') {
        state.balances = { ...record.balances };
        continue;
      }
      const key = xidToString(record.xid);
      if (record.type === 'prepare') {
        state.branches[key] = { xid: record.xid, state: 'prepared', writes: record.writes.slice(), locks: [], waiting: null, rollbackCode: null, startedAtMs: nowMs };
      } else {
        if (record.type === 'commit') for (const w of record.writes) state.balances[w.account] += w.delta;
        delete state.branches[key];
        state.finished.push(key);
      }
    }
    const store = new EmbeddedStore(state, events);
    for (const branch of Object.values(state.branches)) {
      for (const account of uniqueAccounts(branch.writes)) {
        state.locks[account] = { holder: xidToString(branch.xid), waiters: [] };
        branch.locks.push(account);
        events.lockAcquired(branch.xid, account, true);
      }
    }
    return store;
  }

  /** xa_start: a new active branch. */
  start(xid: Xid, nowMs: number): number {
    const key = xidToString(xid);
    if (this.state.branches[key] !== undefined || this.state.finished.includes(key)) return XAER_DUPID;
    this.state.branches[key] = { xid, state: 'active', writes: [], locks: [], waiting: null, rollbackCode: null, startedAtMs: nowMs };
    return XA_OK;
  }

  /**
   * The AP's update of one row: XA_OK when done, 'waiting' when queued for the row's lock
   * (`StoreEvents.updateDone` reports the result later), XA_RBINTEGRITY when the balance would
   * go below zero (the branch is then rolled back).
   */
  update(xid: Xid, account: string, delta: number): number | 'waiting' {
    const branch = this.branch(xid);
    if (branch === undefined) return XAER_NOTA;
    if (branch.state === 'rollback-only') return branch.rollbackCode!;
    if (branch.state !== 'active' || branch.waiting !== null) return XAER_PROTO;
    if (this.state.balances[account] === undefined || !Number.isFinite(delta)) return XAER_INVAL;
    const lock = this.state.locks[account];
    if (lock !== undefined && lock.holder !== xidToString(xid)) {
      lock.waiters.push(xidToString(xid));
      branch.waiting = { account, delta };
      return 'waiting';
    }
    return this.apply(branch, account, delta);
  }

  /** xa_end(TMSUCCESS): active -> idle. */
  end(xid: Xid): number {
    const branch = this.branch(xid);
    if (branch === undefined) return XAER_NOTA;
    if (branch.state === 'rollback-only') return branch.rollbackCode!;
    if (branch.state !== 'active' || branch.waiting !== null) return XAER_PROTO;
    branch.state = 'idle';
    return XA_OK;
  }

  /** xa_prepare: idle -> prepared, the writes forced to the WAL first; XA_RDONLY (and forgotten) without writes. */
  prepare(xid: Xid): number {
    const branch = this.branch(xid);
    if (branch === undefined) return XAER_NOTA;
    if (branch.state === 'rollback-only') return branch.rollbackCode!;
    if (branch.state !== 'idle') return XAER_PROTO;
    if (branch.writes.length === 0) {
      this.finish(branch, 'commit');
      return XA_RDONLY;
    }
    this.events.wal({ type: 'prepare', xid, writes: branch.writes.slice() });
    branch.state = 'prepared';
    return XA_OK;
  }

  /** xa_commit: a prepared branch, or an idle one with onePhase (then prepare and commit are one log record). */
  commit(xid: Xid, onePhase: boolean): number {
    const branch = this.branch(xid);
    if (branch === undefined) return XAER_NOTA;
    if (branch.state === 'rollback-only') return branch.rollbackCode!;
    if (!(branch.state === 'prepared' || (onePhase && branch.state === 'idle'))) return XAER_PROTO;
    this.events.wal({ type: 'commit', xid, writes: branch.writes.slice() });
    for (const w of branch.writes) this.state.balances[w.account] += w.delta;
    this.finish(branch, 'commit');
    return XA_OK;
  }

  /** xa_rollback: any branch; the WAL needs a record only for a prepared one. */
  rollback(xid: Xid): number {
    const branch = this.branch(xid);
    if (branch === undefined) return XAER_NOTA;
    if (branch.state === 'rollback-only') {
      this.forget(branch);
      return XA_OK;
    }
    if (branch.state === 'prepared') this.events.wal({ type: 'rollback', xid });
    this.finish(branch, 'abort');
    return XA_OK;
  }

  /** xa_recover: the prepared branches' xids, oldest key first. */
  recover(): Xid[] {
    return Object.values(this.state.branches).filter((b) => b.state === 'prepared').map((b) => b.xid);
  }

  /** The lock-wait timeout of `xid`'s queued update fired: give up, roll the branch back (XA_RBTIMEOUT). */
  lockWaitExpired(xid: Xid): void {
    const branch = this.branch(xid);
    if (branch === undefined || branch.waiting === null) return;
    this.rollbackOnly(branch, XA_RBTIMEOUT);
    this.events.updateDone(xid, XA_RBTIMEOUT);
  }

  /**
   * The branch timeout fired: a branch not prepared by now is rolled back (XA's transaction
   * timeout; PostgreSQL ends the transaction when the client's session goes away), and a
   * rollback-only branch whose TM never came back is forgotten.
   */
  branchExpired(xid: Xid): void {
    const branch = this.branch(xid);
    if (branch === undefined || branch.state === 'prepared') return;
    if (branch.state === 'rollback-only') return this.forget(branch); // its TM never came back to roll it back
    const waited = branch.waiting !== null;
    this.rollbackOnly(branch, XA_RBTIMEOUT);
    this.forget(branch); // like a database whose client session went away: later calls get XAER_NOTA
    if (waited) this.events.updateDone(xid, XA_RBTIMEOUT);
  }

  /** The committed balances (what a reader outside any branch sees). */
  balances(): Record<string, number> {
    return { ...this.state.balances };
  }

  /** Every held row lock, by account name. */
  heldLocks(): { account: string; holder: string; waiters: string[] }[] {
    return Object.keys(this.state.locks).sort().map((account) => ({ account, ...this.state.locks[account], waiters: this.state.locks[account].waiters.slice() }));
  }

  /** Every branch the store knows, by xid key. */
  branches(): StoreBranch[] {
    return Object.values(this.state.branches);
  }

  private branch(xid: Xid): StoreBranch | undefined {
    return this.state.branches[xidToString(xid)];
  }

  private apply(branch: StoreBranch, account: string, delta: number): number {
    const key = xidToString(branch.xid);
    if (this.state.locks[account] === undefined) {
      this.state.locks[account] = { holder: key, waiters: [] };
      branch.locks.push(account);
      this.events.lockAcquired(branch.xid, account, false);
    }
    const mine = branch.writes.filter((w) => w.account === account).reduce((sum, w) => sum + w.delta, 0);
    if (this.state.balances[account] + mine + delta < 0) {
      this.rollbackOnly(branch, XA_RBINTEGRITY);
      return XA_RBINTEGRITY;
    }
    branch.writes.push({ account, delta });
    return XA_OK;
  }

  /** The RM rolls a branch back on its own; it stays known (rollback-only) until the TM's xa_rollback. */
  private rollbackOnly(branch: StoreBranch, code: number): void {
    this.unqueue(branch);
    this.releaseLocks(branch, 'abort');
    branch.state = 'rollback-only';
    branch.rollbackCode = code;
    branch.writes = [];
    this.events.outcome(branch.xid, 'abort');
  }

  private finish(branch: StoreBranch, outcome: 'commit' | 'abort'): void {
    this.unqueue(branch);
    this.releaseLocks(branch, outcome);
    this.events.outcome(branch.xid, outcome);
    this.forget(branch);
  }

  private forget(branch: StoreBranch): void {
    const key = xidToString(branch.xid);
    delete this.state.branches[key];
    this.state.finished.push(key);
  }

  private unqueue(branch: StoreBranch): void {
    if (branch.waiting === null) return;
    const lock = this.state.locks[branch.waiting.account];
    if (lock) lock.waiters = lock.waiters.filter((w) => w !== xidToString(branch.xid));
    branch.waiting = null;
  }

  /** Releases the branch's locks; each goes to its first waiter, whose update then runs. */
  private releaseLocks(branch: StoreBranch, outcome: 'commit' | 'abort'): void {
    const held = branch.locks;
    branch.locks = [];
    for (const account of held) {
      const lock = this.state.locks[account];
      delete this.state.locks[account];
      this.events.lockReleased(branch.xid, account, outcome);
      const next = lock?.waiters[0];
      if (next === undefined) continue;
      const waiter = this.state.branches[next];
      const wanted = waiter.waiting!;
      waiter.waiting = null;
      this.state.locks[account] = { holder: next, waiters: lock.waiters.slice(1) };
      waiter.locks.push(account);
      this.events.lockAcquired(waiter.xid, account, false);
      const code = this.apply(waiter, account, wanted.delta);
      this.events.updateDone(waiter.xid, code);
    }
  }
}

function uniqueAccounts(writes: readonly RowWrite[]): string[] {
  return [...new Set(writes.map((w) => w.account))];
}
