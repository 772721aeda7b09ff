import { atomicity } from '../../checkers/atomicity';
import { ConfigError, NodeId, TraceEvent, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { TransferRunReport, TransferWorkload, TransferWorkloadOptions, totalMoney, transferWorkload } from '../transfer';
import { LockInterval, lockAcquiredNote, lockIntervals } from '../twophase/locks';
import { TmCrashPoint, XaRmNode, XaTmNode } from './nodes';
import { RecoveryRule, resolveRecoveryRule } from './recovery';
import { gtridOf, xidToString } from './xid';

/** Options of an XA cluster on the simulator. Only `seed` is required; times in virtual ms. */
export interface XaClusterOptions {
  seed: number;
  /** The workload, or the options to make one with `transferWorkload` (its seed defaults to `seed`). Default: 20 transfers. */
  workload?: TransferWorkload | Partial<TransferWorkloadOptions>;
  /** How many AP+TM nodes (tm, or tm1..tmN), transfers dealt round robin. Default 1. */
  tms?: number;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  /** The TMs' recovery decision (a learner's); the reference by default. */
  recovery?: RecoveryRule;
  /** RM: how long an update waits for a row lock (default 50). */
  lockWaitTimeoutMs?: number;
  /** RM: how long a branch may stay unprepared (default 500). */
  branchTimeoutMs?: number;
  /** TM: re-send period (default 20), voting deadline (default 300), recovery scan period (default 100). */
  retryMs?: number;
  votingTimeoutMs?: number;
  scanIntervalMs?: number;
  /** The first TM crashes at this point in its first life (see TmCrashPoint). */
  crashAt?: TmCrashPoint;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = ['seed', 'workload', 'tms', 'network', 'faults', 'recovery', 'lockWaitTimeoutMs', 'branchTimeoutMs', 'retryMs', 'votingTimeoutMs', 'scanIntervalMs', 'crashAt', 'recordTrace', 'hashTrace'];

/** A row lock held over a stretch of time: the twophase LockInterval plus the row. */
export interface RowLockInterval extends LockInterval {
  account: string;
}

/** The checker's verdict on an XA run: ok, or the first broken invariant in one sentence. */
export type XaCheckResult = { ok: true } | { ok: false; invariant: 'atomicity' | 'money' | 'leftovers'; message: string };

export interface XaCluster {
  sim: Simulator;
  workload: TransferWorkload;
  tms: NodeId[];
  stores: [string, string];
  /** Which TM runs each transfer. */
  tmOf: Record<string, NodeId>;
  run(untilMs: number): void;
  /** True when every transfer was due, no TM has work under way and no store has a branch left. */
  settled(): boolean;
  /** Runs until settled() or past maxTimeMs (default: last transfer + 10 s); returns settled(). */
  runUntilSettled(options?: { maxTimeMs?: number }): boolean;
  /** The committed balances of each store now (a store that is down reads from its WAL as of its crash: null). */
  balances(): Record<string, Record<string, number>> | null;
  /** What is left: one line per held row lock, prepared or unfinished branch. */
  leftovers(): string[];
  /** Row lock intervals from the trace. */
  locks(): RowLockInterval[];
  /** Atomicity per transfer, money conserved, and (with `settled: true`) nothing left behind. */
  check(options?: { settled?: boolean }): XaCheckResult;
  report(): TransferRunReport;
}

/**
 * Builds the DTP model on the simulator: AP+TM node(s) and one RM node per store running the
 * shared transfer workload with XA (two-phase commit, presumed abort). The same seed gives the
 * same trace.
 *
 * @example
 *   const cluster = xaCluster({ seed: 1, workload: { transfers: 10, accountsPerStore: 2 } });
 *   cluster.runUntilSettled();
 *   cluster.check({ settled: true }); // { ok: true }
 *   cluster.report().committed;
 */
export function xaCluster(options: XaClusterOptions): XaCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the XA cluster options (${knownOptions.join(', ')})`, key);
  }
  const seed = requireInteger('seed', options.seed, 0);
  const workload = isWorkload(options.workload) ? options.workload : transferWorkload({ transfers: 20, ...options.workload, seed: options.workload?.seed ?? seed });
  const tmCount = requireInteger('tms', options.tms ?? 1, 1);
  const tms = tmCount === 1 ? ['tm'] : Array.from({ length: tmCount }, (_, i) => `tm${i + 1}`);
  const time = (name: keyof XaClusterOptions, fallback: number) => requireNumberInRange(name, options[name] ?? fallback, 0, Infinity);
  const lockWaitTimeoutMs = time('lockWaitTimeoutMs', 50);
  const branchTimeoutMs = time('branchTimeoutMs', 500);
  const retryMs = time('retryMs', 20);
  if (retryMs <= 0) throw new ConfigError('retryMs', 'a number > 0', retryMs);
  const votingTimeoutMs = time('votingTimeoutMs', 300);
  const scanIntervalMs = time('scanIntervalMs', 100);
  if (scanIntervalMs <= 0) throw new ConfigError('scanIntervalMs', 'a number > 0', scanIntervalMs);
  if (votingTimeoutMs >= branchTimeoutMs) throw new ConfigError('votingTimeoutMs', `less than branchTimeoutMs (${branchTimeoutMs})`, votingTimeoutMs);
  const stores = workload.stores;
  resolveRecoveryRule(options.recovery);

  const sim = new Simulator({ seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  const tmOf: Record<string, NodeId> = {};
  workload.transfers.forEach((t, i) => (tmOf[t.id] = tms[i % tms.length]));
  tms.forEach((tm, i) => {
    const transfers = workload.transfers.filter((t) => tmOf[t.id] === tm);
    const crashAt = i === 0 ? options.crashAt : undefined;
    sim.addNode(tm, () => new XaTmNode({ rms: stores.slice(), transfers, retryMs, votingTimeoutMs, scanIntervalMs, recovery: options.recovery, crashAt }));
  });
  for (const store of stores) {
    sim.addNode(store, () => new XaRmNode({ balances: workload.balances[store], lockWaitTimeoutMs, branchTimeoutMs }));
  }
  if (options.faults) sim.schedule(options.faults);
  const lastAtMs = workload.transfers.reduce((m, t) => Math.max(m, t.atMs), 0);

  const rm = (store: string) => sim.node<XaRmNode>(store);
  const tmNode = (tm: string) => sim.node<XaTmNode>(tm);
  const settled = () =>
    sim.now() > lastAtMs &&
    stores.every((s) => rm(s) !== null && rm(s)!.store.branches().length === 0) &&
    tms.every((tm) => tmNode(tm) !== null && tmNode(tm)!.tm.state.log.length === 0 && Object.values(tmNode(tm)!.tm.state.txns).every((t) => t.phase === 'done') && Object.keys(tmNode(tm)!.tm.state.jobs).length === 0);
  const balances = () => {
    const out: Record<string, Record<string, number>> = {};
    for (const s of stores) {
      const node = rm(s);
      if (node === null) return null;
      out[s] = node.store.balances();
    }
    return out;
  };
  const leftovers = () => {
    const out: string[] = [];
    for (const s of stores) {
      const node = rm(s);
      if (node === null) {
        out.push(`${s} is down`);
        continue;
      }
      for (const lock of node.store.heldLocks()) out.push(`${s}: row ${lock.account} locked by ${lock.holder}${lock.waiters.length ? ` (${lock.waiters.length} waiting)` : ''}`);
      for (const b of node.store.branches()) out.push(`${s}: branch ${xidToString(b.xid)} ${b.state}`);
    }
    return out;
  };
  const cluster: XaCluster = {
    sim,
    workload,
    tms,
    stores,
    tmOf,
    run: (untilMs) => sim.run({ untilMs }),
    settled,
    runUntilSettled: (runOptions = {}) => {
      const maxTimeMs = runOptions.maxTimeMs ?? lastAtMs + 10_000;
      sim.runUntil(() => settled(), { maxTimeMs, maxEvents: 20_000_000, atTimeLimit: 'stop' });
      return settled();
    },
    balances,
    leftovers,
    locks: () => rowLockIntervals(sim.trace.events, sim.now()),
    check: (checkOptions = {}) => checkXaRun(cluster, checkOptions.settled ?? false),
    report: () => xaReport(cluster),
  };
  return cluster;
}

/**
 * The row lock intervals of a run: `lockIntervals` of lib/protocols/twophase (one interval per
 * node and transaction: a transfer's branch locks one row) with the row added.
 */
export function rowLockIntervals(events: readonly TraceEvent[], untilMs?: number): RowLockInterval[] {
  const rows = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'annotate' && e.text === lockAcquiredNote) {
      const data = e.data as { txn: string; account: string };
      rows.set(`${e.node}\u0000${data.txn}\u0000${e.timeMs}`, data.account);
    }
  }
  return lockIntervals(events, untilMs).map((i) => ({ ...i, account: rows.get(`${i.node}\u0000${i.txn}\u0000${i.fromMs}`) ?? '?' }));
}

/**
 * The invariants of XA transfers (BHG §7.2 AC1-AC2 per transfer; conservation of money):
 * - atomicity: no transfer committed at one store and rolled back at the other, and a transfer
 *   that committed at one store commits at the other (checked once settled; before that the
 *   other branch may still be prepared);
 * - money: once settled, the sum of all committed balances equals the opening sum;
 * - leftovers: once settled (after recovery and healing), no row lock and no branch is left.
 */
export function checkXaRun(cluster: XaCluster, settled: boolean): XaCheckResult {
  const events = cluster.sim.trace.events;
  const verdict = atomicity(events);
  if (!verdict.ok) return { ok: false, invariant: 'atomicity', message: verdict.message };
  // a transaction the TM decided to commit (its forced commit record) is never rolled back anywhere
  const decided = new Map<string, { tm: string; timeMs: number }>();
  for (const e of events) {
    if (e.kind === 'persist' && cluster.tms.includes(e.node) && (e.value as { type?: string })?.type === 'commit') {
      const gtrid = (e.value as { gtrid: string }).gtrid;
      if (!decided.has(gtrid)) decided.set(gtrid, { tm: e.node, timeMs: e.timeMs });
    } else if (e.kind === 'annotate' && e.text === 'abort') {
      const txn = (e.data as { txn: string }).txn;
      const d = decided.get(txn);
      if (d) return { ok: false, invariant: 'atomicity', message: `atomicity broken for txn ${txn}: ${d.tm} logged its commit decision at ${d.timeMs} ms, ${e.node} rolled it back at ${e.timeMs} ms` };
    }
  }
  if (!settled) return { ok: true };
  const commits = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.kind === 'annotate' && e.text === 'commit') {
      const txn = (e.data as { txn: string }).txn;
      const set = commits.get(txn) ?? new Set<string>();
      set.add(e.node);
      commits.set(txn, set);
    }
  }
  for (const [txn, nodes] of commits) {
    const missing = cluster.stores.filter((s) => !nodes.has(s));
    if (missing.length > 0) return { ok: false, invariant: 'atomicity', message: `atomicity broken for txn ${txn}: committed at ${[...nodes].join(', ')} but never at ${missing.join(', ')}` };
  }
  const before = totalMoney(cluster.workload.balances);
  const now = cluster.balances();
  if (now === null) return { ok: false, invariant: 'leftovers', message: 'a store is still down at the end of the run' };
  const after = totalMoney(now);
  if (after !== before) return { ok: false, invariant: 'money', message: `money not conserved: ${before} before, ${after} after (${after - before > 0 ? '+' : ''}${after - before})` };
  const left = cluster.leftovers();
  if (left.length > 0) return { ok: false, invariant: 'leftovers', message: `left behind after recovery: ${left.join('; ')}` };
  return { ok: true };
}

/** The run in the shared TransferRunReport shape (lib/protocols/transfer), for the XA vs TCC charts. */
export function xaReport(cluster: XaCluster): TransferRunReport {
  const events = cluster.sim.trace.events;
  const commitsAt = new Map<string, Map<string, number>>();
  const doneAt = new Map<string, number>();
  let lastOutcomeMs = 0;
  for (const e of events) {
    if (e.kind !== 'annotate') continue;
    if (e.text === 'commit' || e.text === 'abort') lastOutcomeMs = Math.max(lastOutcomeMs, e.timeMs);
    if (e.text === 'commit') {
      const txn = (e.data as { txn: string }).txn;
      const byStore = commitsAt.get(txn) ?? new Map<string, number>();
      if (!byStore.has(e.node)) byStore.set(e.node, e.timeMs);
      commitsAt.set(txn, byStore);
    } else if (e.text === 'transfer done') {
      const data = e.data as { transfer: string };
      if (!doneAt.has(data.transfer)) doneAt.set(data.transfer, e.timeMs);
    }
  }
  let committed = 0;
  let aborted = 0;
  const latencyMs: number[] = [];
  const firstMs = cluster.workload.transfers.length ? cluster.workload.transfers[0].atMs : 0;
  for (const t of cluster.workload.transfers) {
    const gtrid = gtridOf(cluster.tmOf[t.id], t.id);
    const commits = commitsAt.get(gtrid) ?? new Map<string, number>();
    if (cluster.stores.every((s) => commits.has(s))) {
      committed++;
      const end = doneAt.get(t.id) ?? Math.max(...commits.values());
      latencyMs.push(round(end - t.atMs));
    } else if (commits.size === 0 && (doneAt.has(t.id) || cluster.settled())) {
      aborted++;
      if (doneAt.has(t.id)) latencyMs.push(round(doneAt.get(t.id)! - t.atMs));
    }
  }
  const unfinished = cluster.workload.transfers.length - committed - aborted;
  const durationMs = round(Math.max(0, lastOutcomeMs - firstMs));
  const balances = cluster.balances();
  return {
    protocol: 'XA',
    seed: cluster.workload.seed,
    committed,
    aborted,
    unfinished,
    durationMs,
    throughputPerSec: durationMs > 0 ? round((committed * 1000) / durationMs) : 0,
    latencyMs,
    lockHeldMs: cluster.locks().map((i) => i.heldMs),
    reservedMs: [],
    moneyBefore: totalMoney(cluster.workload.balances),
    moneyAfter: balances === null ? NaN : totalMoney(balances) + inDoubtMoney(cluster),
    leftovers: cluster.leftovers(),
  };
}

/** Money in prepared branches (not yet committed): what a crash leaves in doubt. */
export function inDoubtMoney(cluster: XaCluster): number {
  let sum = 0;
  for (const s of cluster.stores) {
    const node = cluster.sim.node<XaRmNode>(s);
    if (node === null) continue;
    for (const b of node.store.branches()) if (b.state === 'prepared') for (const w of b.writes) sum += w.delta;
  }
  return sum;
}

/** Options of runXaTransfers: the seed, the workload's knobs, the network and faults. */
export interface XaTransfersOptions {
  seed: number;
  workload?: Partial<TransferWorkloadOptions>;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  tms?: number;
  lockWaitTimeoutMs?: number;
}

/**
 * Runs the shared transfer workload with XA until every transfer is finished, for the XA vs TCC
 * comparison (lock time, throughput against contention).
 *
 * @example
 *   const { report } = runXaTransfers({ seed: 1, workload: { transfers: 200, accountsPerStore: 4 } });
 *   report.throughputPerSec; report.lockHeldMs;
 */
export function runXaTransfers(options: XaTransfersOptions): { report: TransferRunReport; sim: Simulator; cluster: XaCluster } {
  const { seed, workload, network, faults, tms, lockWaitTimeoutMs } = options;
  const cluster = xaCluster({ seed, workload: { ...workload, seed: workload?.seed ?? seed }, network, faults, tms, lockWaitTimeoutMs });
  cluster.runUntilSettled();
  return { report: cluster.report(), sim: cluster.sim, cluster };
}

function isWorkload(w: unknown): w is TransferWorkload {
  return !!w && typeof w === 'object' && Array.isArray((w as TransferWorkload).transfers) && typeof (w as TransferWorkload).balances === 'object';
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
