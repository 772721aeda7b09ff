import { replayTcc, TccCheckResult, tccSafety, tccSettled, TccCheckInput } from '../../checkers/tcc';
import { ConfigError, NodeId, TraceEvent, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { LockInterval, lockIntervals } from '../twophase/locks';
import { TransferRunReport, TransferWorkload, TransferWorkloadOptions, totalMoney, transferWorkload } from '../transfer';
import { TccCoordinator, TccLogRecord } from './coordinator';
import { Account, BranchRecord, TccDecision, TxnId } from './messages';
import { TccParticipant } from './participant';
import { TccRules, resolveTccRules } from './rules';

/**
 * Options of a TCC run on the money-transfer example: the application's transaction manager
 * (node `coordinator`, default 'app') and one store per bank of the workload. Only `seed` is
 * required; times are virtual milliseconds. The network and fault options are the simulator's,
 * as the commit cluster of lib/protocols/twophase takes them, so XA and TCC runs compare.
 */
export interface TccClusterOptions {
  seed: number | string;
  /** A workload, or the options of `transferWorkload` without the seed (the run's seed is used). Default { transfers: 20 }. */
  workload?: TransferWorkload | Omit<TransferWorkloadOptions, 'seed'>;
  network?: Partial<NetworkOptions>;
  /** A fault script, scheduled before the run (see FaultStep). */
  faults?: FaultStep[];
  /** The stores' Try / Confirm / Cancel rules (a learner's fit here); the references by default. */
  rules?: Partial<TccRules>;
  /** Manager: how long to wait for both Try replies before cancelling. Default 50. */
  tryTimeoutMs?: number;
  /** Manager: first wait before re-sending Confirm or Cancel, doubled each time. Default 20. */
  retryMs?: number;
  /** Manager: the back-off's cap. Default 160. */
  maxRetryMs?: number;
  /** Store: how long one local transaction holds its row lock. Default 1 (see TccParticipantOptions). */
  localTxnMs?: number;
  /** The manager's node name. Default 'app'. */
  coordinator?: NodeId;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = ['seed', 'workload', 'network', 'faults', 'rules', 'tryTimeoutMs', 'retryMs', 'maxRetryMs', 'localTxnMs', 'coordinator', 'recordTrace', 'hashTrace'];

/** One transfer's fate, read from the trace. */
export interface TccTransferOutcome {
  txn: TxnId;
  atMs: number;
  decision: TccDecision | null;
  decidedAtMs: number | null;
  /** When the manager logged `end` (both stores answered the decision). */
  endedAtMs: number | null;
  debit: BranchRecord['state'] | 'none';
  credit: BranchRecord['state'] | 'none';
}

/** One stretch of time during which money was reserved by a branch's Try (durable: a crash does not end it). */
export interface ReservationInterval {
  node: NodeId;
  txn: TxnId;
  branch: 'debit' | 'credit';
  account: string;
  amount: number;
  fromMs: number;
  toMs: number;
  heldMs: number;
  /** confirm / cancel: released so; held: still reserved when the trace ends. */
  end: 'confirm' | 'cancel' | 'held';
}

/** What a store holds durably: its accounts and its branch table. */
export interface TccStoreSnapshot {
  accounts: Record<string, Account>;
  branches: BranchRecord[];
}

/** A simulator with a TCC manager and two stores, and what a notebook or a test needs. */
export interface TccCluster {
  sim: Simulator;
  coordinator: NodeId;
  stores: [NodeId, NodeId];
  workload: TransferWorkload;
  run(untilMs: number): void;
  /** True when the manager has logged `end` for every transfer. */
  finished(): boolean;
  /** Runs until finished() or past `maxTimeMs` (default now + 10 s); returns finished(). */
  runUntilFinished(options?: { maxTimeMs?: number }): boolean;
  outcomes(): TccTransferOutcome[];
  /** The always-invariants (lib/checkers/tcc tccSafety). */
  safety(): TccCheckResult;
  /** Every invariant, the settled ones included (call it once finished). */
  settled(): TccCheckResult;
  reservations(): ReservationInterval[];
  /** Local row locks, one interval per local transaction (twophase's lockIntervals on the stores). */
  locks(): LockInterval[];
  /** What each store holds durably now (read from its durable storage, whether it is up or down). */
  snapshot(): Record<NodeId, TccStoreSnapshot>;
  report(protocol?: string): TransferRunReport;
}

/**
 * Builds a TCC run on a seeded simulator: the same seed gives the same trace.
 *
 * @example
 *   const cluster = tccCluster({ seed: 1, workload: { transfers: 10 } });
 *   cluster.runUntilFinished();
 *   cluster.settled(); // { ok: true }
 */
export function tccCluster(options: TccClusterOptions): TccCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the TCC options (${knownOptions.join(', ')})`, key);
  }
  const workload = resolveWorkload(options);
  const coordinator = options.coordinator ?? 'app';
  if (typeof coordinator !== 'string' || coordinator === '' || workload.stores.includes(coordinator)) {
    throw new ConfigError('coordinator', 'a non-empty name no store has', coordinator);
  }
  const time = (name: 'tryTimeoutMs' | 'retryMs' | 'maxRetryMs' | 'localTxnMs', fallback: number, min = 0) => {
    const value = requireNumberInRange(name, options[name] ?? fallback, min, Infinity);
    return value;
  };
  const tryTimeoutMs = time('tryTimeoutMs', 50);
  const retryMs = time('retryMs', 20);
  const maxRetryMs = time('maxRetryMs', 160);
  const localTxnMs = time('localTxnMs', 1);
  if (tryTimeoutMs <= 0) throw new ConfigError('tryTimeoutMs', 'a number > 0', tryTimeoutMs);
  if (retryMs <= 0) throw new ConfigError('retryMs', 'a number > 0', retryMs);
  if (maxRetryMs < retryMs) throw new ConfigError('maxRetryMs', `a number >= retryMs (${retryMs})`, maxRetryMs);
  const rules = resolveTccRules(options.rules);

  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  sim.addNode(coordinator, () => new TccCoordinator({ transfers: workload.transfers, tryTimeoutMs, retryMs, maxRetryMs }));
  for (const store of workload.stores) sim.addNode(store, () => new TccParticipant({ accounts: workload.balances[store], localTxnMs, rules }));
  if (options.faults) sim.schedule(options.faults);

  const requireTrace = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true to read outcomes, checks and reports from the trace', false);
    return sim.trace.events;
  };
  const ended = new Set<TxnId>();
  let scanned = 0;
  const finished = () => {
    const events = requireTrace();
    for (; scanned < events.length; scanned++) {
      const e = events[scanned];
      if (e.kind === 'annotate' && e.node === coordinator && e.text === 'end') ended.add((e.data as { txn: TxnId }).txn);
    }
    return ended.size === workload.transfers.length;
  };
  const input = (): TccCheckInput => ({ events: requireTrace(), opening: workload.balances, transfers: workload.transfers });
  const cluster: TccCluster = {
    sim,
    coordinator,
    stores: workload.stores,
    workload,
    run: (untilMs) => sim.run({ untilMs }),
    finished,
    runUntilFinished: (runOptions = {}) => {
      const maxTimeMs = runOptions.maxTimeMs ?? sim.now() + 10_000;
      sim.runUntil(finished, { maxEvents: 10_000_000, maxTimeMs, atTimeLimit: 'stop' });
      return finished();
    },
    outcomes: () => readTccOutcomes(requireTrace(), workload, coordinator),
    safety: () => tccSafety(input()),
    settled: () => tccSettled(input(), sim.now()),
    reservations: () => reservationIntervals(requireTrace(), sim.now()),
    locks: () => lockIntervals(requireTrace(), sim.now()).filter((l) => l.node !== coordinator),
    snapshot: () => {
      const out: Record<NodeId, TccStoreSnapshot> = {};
      for (const store of workload.stores) out[store] = storeSnapshot(sim.durable(store));
      return out;
    },
    report: (protocol = 'TCC') => tccReport(cluster, protocol),
  };
  return cluster;
}

/**
 * Runs a TCC workload to the end (every transfer finished, or `untilMs` passed, default the
 * last submission + 10 s) and reports it in the shared shape of lib/protocols/transfer.
 *
 * @example
 *   const { report } = runTccTransfers({ seed: 1, workload: { transfers: 200, accountsPerStore: 4 } });
 *   report.throughputPerSec; // committed transfers per virtual second
 */
export function runTccTransfers(options: TccClusterOptions & { untilMs?: number }): { report: TransferRunReport; sim: Simulator; cluster: TccCluster } {
  const { untilMs, ...rest } = options ?? ({} as TccClusterOptions & { untilMs?: number });
  const cluster = tccCluster(rest);
  const lastMs = cluster.workload.transfers[cluster.workload.transfers.length - 1].atMs;
  const limit = untilMs === undefined ? lastMs + 10_000 : requireNumberInRange('untilMs', untilMs, 0, Infinity);
  cluster.runUntilFinished({ maxTimeMs: limit });
  return { report: cluster.report(), sim: cluster.sim, cluster };
}

/** The reservations in a trace ('reserved' / 'released' annotations), in the order they began; open ones end at `untilMs`. */
export function reservationIntervals(events: readonly TraceEvent[], untilMs?: number): ReservationInterval[] {
  const out: ReservationInterval[] = [];
  const open = new Map<string, ReservationInterval>();
  for (const e of events) {
    if (e.kind !== 'annotate' || (e.text !== 'reserved' && e.text !== 'released')) continue;
    const d = e.data as { txn: TxnId; branch: 'debit' | 'credit'; account: string; amount: number; outcome?: 'confirm' | 'cancel' };
    const key = `${e.node}\u0000${d.txn}\u0000${d.branch}`;
    if (e.text === 'reserved') {
      if (open.has(key)) continue;
      const interval: ReservationInterval = { node: e.node, txn: d.txn, branch: d.branch, account: d.account, amount: d.amount, fromMs: e.timeMs, toMs: e.timeMs, heldMs: 0, end: 'held' };
      out.push(interval);
      open.set(key, interval);
    } else {
      const interval = open.get(key);
      if (!interval) continue;
      interval.toMs = e.timeMs;
      interval.heldMs = round(e.timeMs - interval.fromMs);
      interval.end = d.outcome ?? 'cancel';
      open.delete(key);
    }
  }
  const endMs = untilMs ?? (events.length > 0 ? events[events.length - 1].timeMs : 0);
  for (const interval of open.values()) {
    interval.toMs = Math.max(endMs, interval.fromMs);
    interval.heldMs = round(interval.toMs - interval.fromMs);
  }
  return out;
}

/**
 * Reserved money over time, for a chart: at each change, how much is frozen (debit Tries not
 * yet confirmed or cancelled) and how much is pending (credit Tries), in currency units.
 */
export function reservedOverTime(events: readonly TraceEvent[]): { timeMs: number; frozen: number; pending: number }[] {
  const out: { timeMs: number; frozen: number; pending: number }[] = [{ timeMs: 0, frozen: 0, pending: 0 }];
  let frozen = 0;
  let pending = 0;
  for (const e of events) {
    if (e.kind !== 'annotate' || e.text !== 'local txn') continue;
    const change = (e.data as { change: Account }).change;
    if (change.frozen === 0 && change.pending === 0) continue;
    frozen += change.frozen;
    pending += change.pending;
    out.push({ timeMs: e.timeMs, frozen, pending });
  }
  return out;
}

/** Each transfer's decision, end and branch states, from the trace. */
export function readTccOutcomes(events: readonly TraceEvent[], workload: TransferWorkload, coordinator: NodeId = 'app'): TccTransferOutcome[] {
  const replay = replayTcc({ events, opening: workload.balances, transfers: workload.transfers });
  const byId = new Map<TxnId, TccTransferOutcome>();
  for (const t of workload.transfers) {
    byId.set(t.id, {
      txn: t.id, atMs: t.atMs, decision: null, decidedAtMs: null, endedAtMs: null,
      debit: replay.branches.get(`${t.id}/debit`) ?? 'none', credit: replay.branches.get(`${t.id}/credit`) ?? 'none',
    });
  }
  for (const e of events) {
    if (e.kind !== 'annotate' || e.node !== coordinator) continue;
    const d = e.data as { txn?: TxnId; decision?: TccDecision } | undefined;
    const o = d?.txn === undefined ? undefined : byId.get(d.txn);
    if (o === undefined) continue;
    if (e.text === 'decision' && o.decision === null) {
      o.decision = d?.decision ?? null;
      o.decidedAtMs = e.timeMs;
    }
    if (e.text === 'end' && o.endedAtMs === null) o.endedAtMs = e.timeMs;
  }
  return [...byId.values()];
}

/** A store's durable storage, read as accounts and branch records. */
export function storeSnapshot(durable: ReadonlyMap<string, unknown>): TccStoreSnapshot {
  const accounts: Record<string, Account> = {};
  const branches: BranchRecord[] = [];
  for (const [key, value] of durable) {
    if (key.startsWith('account:')) accounts[key.slice('account:'.length)] = value as Account;
    else if (key.startsWith('branch:')) branches.push(value as BranchRecord);
  }
  return { accounts, branches };
}

/** The manager's durable log, read back (for a notebook's table). */
export function coordinatorLog(durable: ReadonlyMap<string, unknown>): TccLogRecord[] {
  const out: TccLogRecord[] = [];
  for (let i = 0; durable.has(`log:${i}`); i++) out.push(durable.get(`log:${i}`) as TccLogRecord);
  return out;
}

function tccReport(cluster: TccCluster, protocol: string): TransferRunReport {
  const { sim, workload } = cluster;
  const events = sim.trace.events;
  const outcomes = cluster.outcomes();
  const replay = replayTcc({ events, opening: workload.balances, transfers: workload.transfers });
  const committed = outcomes.filter((o) => o.debit === 'confirmed' && o.credit === 'confirmed').length;
  const aborted = outcomes.filter((o) => o.endedAtMs !== null && o.decision === 'cancel').length;
  const endTimes = outcomes.filter((o) => o.endedAtMs !== null).map((o) => o.endedAtMs as number);
  const firstMs = Math.min(...workload.transfers.map((t) => t.atMs));
  const durationMs = endTimes.length === 0 ? 0 : round(Math.max(...endTimes) - firstMs);
  let owned = 0;
  const leftovers: string[] = [];
  for (const [store, accounts] of Object.entries(replay.accounts)) {
    for (const [name, a] of Object.entries(accounts)) {
      owned += a.balance + a.frozen;
      if (a.frozen !== 0) leftovers.push(`${store} ${name}: ${a.frozen} frozen`);
      if (a.pending !== 0) leftovers.push(`${store} ${name}: ${a.pending} pending`);
    }
  }
  let inFlight = 0;
  const amounts = new Map(workload.transfers.map((t) => [t.id, t.amount]));
  for (const o of outcomes) {
    inFlight += ((o.debit === 'confirmed' ? 1 : 0) - (o.credit === 'confirmed' ? 1 : 0)) * (amounts.get(o.txn) ?? 0);
    for (const [role, state] of [['debit', o.debit], ['credit', o.credit]] as const) if (state === 'tried') leftovers.push(`${o.txn} ${role} branch still TRIED`);
  }
  return {
    protocol,
    seed: Number(sim.seed),
    committed,
    aborted,
    unfinished: workload.transfers.length - committed - aborted,
    durationMs,
    throughputPerSec: durationMs > 0 ? round((committed * 1000) / durationMs) : 0,
    latencyMs: outcomes.filter((o) => o.endedAtMs !== null).map((o) => round((o.endedAtMs as number) - o.atMs)),
    lockHeldMs: cluster.locks().map((l) => l.heldMs),
    reservedMs: cluster.reservations().map((r) => r.heldMs),
    moneyBefore: totalMoney(workload.balances),
    moneyAfter: owned + inFlight,
    leftovers,
  };
}

function resolveWorkload(options: TccClusterOptions): TransferWorkload {
  const given = options.workload;
  if (given !== undefined && (given === null || typeof given !== 'object')) throw new ConfigError('workload', 'a workload or workload options', given);
  if (given !== undefined && Array.isArray((given as TransferWorkload).transfers)) {
    const w = given as TransferWorkload;
    if (w.transfers.length === 0) throw new ConfigError('workload.transfers', 'a non-empty array', w.transfers);
    return w;
  }
  if (typeof options.seed !== 'number' || !Number.isInteger(options.seed) || options.seed < 0) {
    throw new ConfigError('seed', 'an integer >= 0 when the workload is generated from it', options.seed);
  }
  return transferWorkload({ transfers: 20, ...(given as Omit<TransferWorkloadOptions, 'seed'> | undefined), seed: options.seed });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
