import * as fs from 'fs';
import { ConfigError, assertNever } from '../../core';
import { Transfer } from '../transfer';
import { RecoverReply, XaReply, XaRequest } from './messages';
import { CrashPointWatch, TmCrashPoint } from './nodes';
import { RecoveryRule, TmLogRecord } from './recovery';
import { ResourceManager } from './resource-manager';
import { EmbeddedStore, StoreEvents, WalRecord, quietStoreEvents } from './store';
import { TmAction, TransactionManager } from './tm';
import { Xid, XAER_RMFAIL, XA_RBTIMEOUT } from './xid';

/**
 * The async host of the sans-IO TransactionManager (tm.ts): the same TM logic as on the
 * simulator, driving real `ResourceManager`s (PostgreSQL through postgres.ts, or the embedded
 * store) and writing its log to a durable `TmLogStore`. It carries out the TM's actions in
 * order: a `log` action is awaited (fsync) before the next action runs, an RM call is started
 * and its answer fed back to the TM when it comes. Calls go over connections that do not lose
 * requests, so the TM's retry timers are not needed and ignored; a failed call (XAER_RMFAIL)
 * is tried again at most 3 times, then left for `recover()`.
 *
 * This is I/O code: it is the one place in lib/protocols/xa that awaits (the TM itself never does).
 *
 * @example
 *   const driver = new XaDriver({ name: 'tm', rms: [bankA, bankB], log: new FileTmLog('.pg/tm.log') });
 *   await driver.open();                        // recovery: xa_recover at every RM, finish in-doubt work
 *   const outcome = await driver.transfer({ id: 't0', atMs: 0, from: ..., to: ..., amount: 10 });
 */

/** Where the TM's log lives. Records must be durable when `append` resolves. */
export interface TmLogStore {
  read(): Promise<TmLogRecord[]>;
  append(record: TmLogRecord): Promise<void>;
}

/**
 * The TM's log as a JSON-lines file, one record per line, each append forced with fsync.
 * A file of its own rather than a table in one of the databases: the TM's log must not depend
 * on any one RM being up (a TM whose log sat in bank_a could not even roll back bank_b's
 * branches while bank_a is down), and it is what TMs such as Narayana do by default (a file
 * object store). A torn last line (a crash in mid-write) is ignored: its record was never
 * acknowledged.
 */
export class FileTmLog implements TmLogStore {
  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '') throw new ConfigError('path', 'a file path for the TM log', path);
  }

  async read(): Promise<TmLogRecord[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: TmLogRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as TmLogRecord);
      } catch {
        break; // a torn last line
      }
    }
    return out;
  }

  async append(record: TmLogRecord): Promise<void> {
    const handle = await fs.promises.open(this.path, 'a');
    try {
      await handle.write(JSON.stringify(record) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** A TM log in memory (tests): survives a "crash" of the driver as long as the object lives. */
export class MemoryTmLog implements TmLogStore {
  readonly records: TmLogRecord[] = [];
  async read(): Promise<TmLogRecord[]> {
    return this.records.map((r) => ({ ...r }));
  }
  async append(record: TmLogRecord): Promise<void> {
    this.records.push({ ...record });
  }
}

/** Thrown by the driver when it reaches its crash point: the TM is dead, what it had not done never happens. */
export class TmCrashed extends Error {
  constructor(readonly point: TmCrashPoint) {
    super(`the TM crashed (${point})`);
    this.name = 'TmCrashed';
  }
}

export interface XaDriverOptions {
  name: string;
  rms: ResourceManager[];
  log: TmLogStore;
  recovery?: RecoveryRule;
  /** Crash at this point of the first transfer that reaches it (then every call throws TmCrashed). */
  crashAt?: TmCrashPoint;
}

/** What a transfer came to, and the TM's notes on the way (decision, recovery plan). */
export interface DriverOutcome {
  transfer: string;
  gtrid: string;
  outcome: 'committed' | 'rolled back';
  reason: string;
}

export class XaDriver {
  readonly tm: TransactionManager;
  /** The TM's notes, in order ('begin', 'decision', 'recovery plan', ...). */
  readonly notes: { text: string; data: Record<string, unknown> }[] = [];
  private readonly rms = new Map<string, ResourceManager>();
  private readonly watch: CrashPointWatch;
  private readonly inflight = new Set<Promise<void>>();
  private readonly outcomes = new Map<string, DriverOutcome>();
  private readonly attempts = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private crashed: TmCrashPoint | null = null;
  private opened = false;

  constructor(private readonly options: XaDriverOptions) {
    for (const rm of options.rms) this.rms.set(rm.name, rm);
    this.tm = new TransactionManager({ name: options.name, rms: options.rms.map((r) => r.name), recovery: options.recovery });
    this.watch = new CrashPointWatch(options.crashAt);
  }

  /** Reads the log and recovers: xa_recover at every RM, then commits and rolls back as the recovery rule says. */
  async open(): Promise<void> {
    const log = await this.options.log.read();
    this.opened = true;
    await this.run(() => this.tm.start(log, 1));
  }

  /** Runs one recovery scan now (the simulated TM does this periodically). */
  async recover(): Promise<void> {
    await this.run(() => this.tm.scanNow());
  }

  /** Runs a transfer to its end; throws TmCrashed at the crash point. */
  async transfer(transfer: Transfer): Promise<DriverOutcome> {
    if (!this.opened) throw new ConfigError('XaDriver', 'open() before transfer()', 'not opened');
    await this.run(() => this.tm.submit(transfer));
    const outcome = this.outcomes.get(transfer.id);
    if (outcome === undefined) throw new Error(`transfer ${transfer.id} did not finish: ${JSON.stringify(this.tm.state.txns)}`);
    return outcome;
  }

  /** Feeds one event to the TM and waits until every call it caused (and their follow-ups) is done. */
  private async run(event: () => TmAction[]): Promise<void> {
    this.alive();
    await this.enqueue(() => this.execute(event()));
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    this.alive();
  }

  private alive(): void {
    if (this.crashed !== null) throw new TmCrashed(this.crashed);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async execute(actions: TmAction[]): Promise<void> {
    for (const action of actions) {
      if (this.crashed !== null) return;
      if (this.watch.reaches(action)) {
        this.crashed = this.watch.point!;
        return;
      }
      switch (action.type) {
        case 'send':
          this.dispatch(action.to, action.msg);
          break;
        case 'log':
          await this.options.log.append(action.record);
          break;
        case 'timer':
          break; // calls do not get lost on a connection; scans are explicit (recover())
        case 'note':
          this.notes.push({ text: action.text, data: action.data });
          break;
        case 'outcome':
          this.outcomes.set(action.transfer, { transfer: action.transfer, gtrid: action.gtrid, outcome: action.outcome, reason: action.reason });
          break;
        default:
          assertNever(action, 'action');
      }
    }
  }

  private dispatch(to: string, msg: XaRequest | { type: 'xa_recover'; scan: string }): void {
    const rm = this.rms.get(to)!;
    if (msg.type !== 'xa_recover') {
      const key = `${msg.type} ${msg.xid.gtrid} ${to}`;
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      if (attempt > 3) {
        this.notes.push({ text: 'gave up', data: { call: msg.type, txn: msg.xid.gtrid, rm: to } });
        return;
      }
    }
    const promise = (async () => {
      const reply = await this.call(rm, msg);
      if (this.crashed !== null) return;
      await this.enqueue(() => this.execute(this.tm.onReply(to, reply)));
    })();
    this.inflight.add(promise);
    void promise.finally(() => this.inflight.delete(promise));
  }

  private async call(rm: ResourceManager, msg: XaRequest | { type: 'xa_recover'; scan: string }): Promise<XaReply | RecoverReply> {
    if (msg.type === 'xa_recover') {
      try {
        return { type: 'xa_recover_reply', scan: msg.scan, xids: await rm.recover() };
      } catch {
        return { type: 'xa_recover_reply', scan: msg.scan, xids: null }; // unreachable: the rule must not take silence for "nothing prepared"
      }
    }
    let code: number;
    try {
      switch (msg.type) {
        case 'xa_start':
          code = await rm.start(msg.xid);
          break;
        case 'update':
          code = await rm.update(msg.xid, msg.account, msg.delta);
          break;
        case 'xa_end':
          code = await rm.end(msg.xid);
          break;
        case 'xa_prepare':
          code = await rm.prepare(msg.xid);
          break;
        case 'xa_commit':
          code = await rm.commit(msg.xid, msg.onePhase);
          break;
        case 'xa_rollback':
          code = await rm.rollback(msg.xid);
          break;
        default:
          code = assertNever(msg, 'request');
      }
    } catch {
      code = XAER_RMFAIL;
    }
    return { type: 'xa_reply', call: msg.type, reqId: msg.reqId, xid: msg.xid, code };
  }
}

/**
 * The embedded store behind the async `ResourceManager` interface, for the driver without a
 * database. Its WAL is an array that outlives `crash()`, which rebuilds the store from it (as a
 * restart would). A lock conflict does not wait here (there is no clock to time the wait out):
 * the update fails at once with XA_RBTIMEOUT, as with a lock_timeout of zero.
 *
 * @example
 *   const bankA = new EmbeddedResourceManager('bank-a', { a0: 1000, a1: 1000 });
 */
export class EmbeddedResourceManager implements ResourceManager {
  readonly wal: WalRecord[] = [];
  store: EmbeddedStore;
  private readonly events: StoreEvents;

  constructor(readonly name: string, balances: Record<string, number>) {
    this.events = { ...quietStoreEvents, wal: (record) => this.wal.push(record) };
    this.store = EmbeddedStore.create(balances, this.events);
  }

  /** Loses the volatile state and replays the WAL. */
  crash(): void {
    this.store = EmbeddedStore.recover(this.wal, this.events, 0);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async start(xid: Xid): Promise<number> {
    return this.store.start(xid, 0);
  }
  async update(xid: Xid, account: string, delta: number): Promise<number> {
    const code = this.store.update(xid, account, delta);
    if (code !== 'waiting') return code;
    this.store.lockWaitExpired(xid);
    return XA_RBTIMEOUT;
  }
  async end(xid: Xid): Promise<number> {
    return this.store.end(xid);
  }
  async prepare(xid: Xid): Promise<number> {
    return this.store.prepare(xid);
  }
  async commit(xid: Xid, onePhase: boolean): Promise<number> {
    return this.store.commit(xid, onePhase);
  }
  async rollback(xid: Xid): Promise<number> {
    return this.store.rollback(xid);
  }
  async recover(): Promise<Xid[]> {
    return this.store.recover();
  }
}
