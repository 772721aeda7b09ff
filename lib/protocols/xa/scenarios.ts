import { ConfigError, TraceEvent } from '../../core';
import { Simulator } from '../../sim';
import { TransferWorkload } from '../transfer';
import { RowLockInterval, XaCheckResult, XaCluster, XaClusterOptions, xaCluster } from './cluster';
import { TmCrashPoint, XaRmNode } from './nodes';

/**
 * The named experiments of the XA notebook, each reproducible by its seed: a transfer when all
 * goes well, the TM crashing between prepare and commit (the rows stay locked and another
 * transfer waits until the TM's recovery finishes the work: 2PC blocks, Gray 1978 §5.8.3.3),
 * and what a crash of the TM at each step leaves behind.
 */

/** What a scenario returns: the run, the checker's verdict, the locks, one line per transfer. */
export interface XaScenarioResult {
  name: string;
  seed: number;
  description: string;
  cluster: XaCluster;
  sim: Simulator;
  check: XaCheckResult;
  locks: RowLockInterval[];
  summary: string;
}

/** Two accounts per bank, 1000 each, and the given transfers. */
export function smallBank(transfers: { id: string; atMs: number; from: string; to: string; amount: number }[], seed = 1): TransferWorkload {
  const store = (account: string) => (account.startsWith('a') ? 'bank-a' : 'bank-b');
  return {
    seed,
    stores: ['bank-a', 'bank-b'],
    balances: { 'bank-a': { a0: 1000, a1: 1000 }, 'bank-b': { b0: 1000, b1: 1000 } },
    transfers: transfers.map((t) => ({ id: t.id, atMs: t.atMs, from: { store: store(t.from), account: t.from }, to: { store: store(t.to), account: t.to }, amount: t.amount })),
  };
}

/**
 * One transfer (t0: 100 from a0 at bank-a to b0 at bank-b) on a reliable network: xa_start,
 * update, xa_end and xa_prepare at both banks, the TM's commit record, xa_commit at both.
 *
 * @example
 *   normalTransfer(1).summary; // "t0 committed at ... ms: bank-a a0 1000 -> 900, bank-b b0 1000 -> 1100"
 */
export function normalTransfer(seed = 1, options: Partial<XaClusterOptions> = {}): XaScenarioResult {
  const cluster = xaCluster({ ...options, seed, workload: smallBank([{ id: 't0', atMs: 10, from: 'a0', to: 'b0', amount: 100 }], seed) });
  cluster.runUntilSettled({ maxTimeMs: 2000 });
  return finish('normalTransfer', seed, 'One XA transfer on a reliable network: both branches prepare, the TM forces its commit record, both commit.', cluster);
}

/** What tmCrashBetweenPrepareAndCommit returns: the scenario, plus the moments and what was left while the TM was down. */
export interface TmCrashResult extends XaScenarioResult {
  crashAtMs: number;
  restartAtMs: number;
  /** Row locks, prepared branches and waiting updates just before the TM came back. */
  whileDown: string[];
}

/**
 * The TM crashes between prepare and commit: tm1 runs t0 (100 from a0 to b0); both branches
 * prepare, tm1 forces its commit record and crashes before any xa_commit leaves. Both rows stay
 * locked: tm2's transfer t1 (50 from a0 to b1) waits for a0's lock. After `downtimeMs` tm1
 * restarts, reads its commit record, finds t0's branches with xa_recover and commits them; a0's
 * lock passes to t1, which then commits too. (The lock-wait timeout is raised to 2 s here so that
 * t1 waits instead of giving up.) tm2's own recovery scans list t0's branches too and leave
 * them alone: they are not tm2's.
 *
 * @example
 *   const r = tmCrashBetweenPrepareAndCommit(1, 300);
 *   r.whileDown; // ['bank-a: row a0 locked by xa:17228:tm1.t0:bank-a (1 waiting)', ...]
 */
export function tmCrashBetweenPrepareAndCommit(seed = 1, downtimeMs = 300, options: Partial<XaClusterOptions> = {}): TmCrashResult {
  const workload = smallBank([
    { id: 't0', atMs: 10, from: 'a0', to: 'b0', amount: 100 },
    { id: 't1', atMs: 80, from: 'a0', to: 'b1', amount: 50 },
  ], seed);
  const cluster = xaCluster({ lockWaitTimeoutMs: 2000, votingTimeoutMs: 2500, branchTimeoutMs: 3000, ...options, seed, workload, tms: 2, crashAt: 'after-commit-record' });
  const { crashAtMs, restartAtMs, whileDown } = crashAndRestart(cluster, 'tm1', downtimeMs);
  return {
    ...finish('tmCrashBetweenPrepareAndCommit', seed, `tm1 crashes after its commit record for t0, before any xa_commit, and is down ${downtimeMs} ms; t1 (tm2) waits for row a0.`, cluster),
    crashAtMs,
    restartAtMs,
    whileDown,
  };
}

/** One row of the "what a crash at each step leaves behind" table. */
export interface CrashPointRow {
  crash: string;
  /** While the TM is down (just before it restarts). */
  lockedRows: string;
  preparedBranches: string;
  committedBalances: string;
  /** The prepared, not yet committed writes: money in doubt. */
  inDoubt: string;
  /** What the TM's recovery (or the RMs' branch timeouts) did. */
  recovery: string;
  outcome: string;
  /** After recovery, once everything settled. */
  finalBalances: string;
  leftAfter: string;
}

export const crashPoints: TmCrashPoint[] = ['before-prepare', 'after-one-prepare', 'after-prepares', 'after-commit-record', 'after-one-commit'];

/**
 * The TM crashes at each step of one transfer (t0: 100 from a0 to b0) and stays down
 * `downtimeMs`: what is left while it is down (locked rows, prepared branches, money in doubt)
 * and after its recovery. Before the commit record, presumed abort rolls the transfer back;
 * after it, recovery commits. Unprepared branches are rolled back by the RMs themselves
 * (branch timeout); prepared ones wait for the TM, however long it is down.
 *
 * @example
 *   crashAtEachStep(1).map((r) => `${r.crash}: ${r.outcome}`);
 */
export function crashAtEachStep(seed = 1, downtimeMs = 300, options: Partial<XaClusterOptions> = {}): CrashPointRow[] {
  return crashPoints.map((point) => crashAtStep(seed, point, downtimeMs, options).row);
}

/**
 * One row of crashAtEachStep, with its run: the TM crashes at `point` of transfer t0 (100 from
 * a0 to b0), stays down `downtimeMs`, restarts and recovers. `cluster.sim.trace` is the run, for
 * a space-time diagram of that failure case.
 *
 * @example
 *   const { row, cluster } = crashAtStep(1, 'after-one-prepare');
 *   chart(spaceTimeDiagram(cluster.sim.trace.events, { title: row.crash }));
 */
export function crashAtStep(seed: number, point: TmCrashPoint, downtimeMs = 300, options: Partial<XaClusterOptions> = {}): { row: CrashPointRow; cluster: XaCluster } {
  if (!crashPoints.includes(point)) throw new ConfigError('point', `one of ${crashPoints.join(', ')}`, point);
  const workload = smallBank([{ id: 't0', atMs: 10, from: 'a0', to: 'b0', amount: 100 }], seed);
  const cluster = xaCluster({ ...options, seed, workload, crashAt: point });
  const { whileDown, restartAtMs } = crashAndRestart(cluster, 'tm', downtimeMs);
  const lockedRows = whileDown.filter((l) => l.includes(' locked by ')).map((l) => l.replace(/: row (\S+) locked by .*/, ':$1'));
  const prepared = whileDown.filter((l) => l.endsWith(' prepared')).map((l) => l.split(':')[0]);
  const balancesDown = describeBalances(snapshotBalances(cluster));
  const inDoubt = snapshotInDoubt(cluster);
  const plans = cluster.sim.trace.events
    .filter((e) => e.kind === 'annotate' && e.text === 'recovery plan' && e.timeMs >= restartAtMs)
    .flatMap((e) => ((e as { data: { branches: string[] } }).data.branches));
  const timeouts = rmTimeoutRollbacks(cluster.sim.trace.events);
  const outcome = transferOutcome(cluster.sim.trace.events);
  const left = cluster.leftovers();
  const row: CrashPointRow = {
    crash: point.replace(/-/g, ' '),
    lockedRows: lockedRows.join(', ') || 'none',
    preparedBranches: prepared.join(', ') || 'none',
    committedBalances: balancesDown,
    inDoubt,
    recovery: [...new Set(plans)].join('; ') || (timeouts.length ? `RM branch timeout rolled back ${timeouts.join(', ')}` : 'nothing to do'),
    outcome,
    finalBalances: describeBalances(cluster.balances()),
    leftAfter: left.join('; ') || 'nothing',
  };
  return { row, cluster };
}

/** Runs until the TM notes its crash point, crashes it, restarts it `downtimeMs` later, runs until settled. */
function crashAndRestart(cluster: XaCluster, tm: string, downtimeMs: number): { crashAtMs: number; restartAtMs: number; whileDown: string[] } {
  const { sim } = cluster;
  sim.runUntilEvent((e) => e.kind === 'annotate' && e.text === 'crash point' && e.node === tm, { maxTimeMs: 5000, atTimeLimit: 'stop' });
  const crashAtMs = sim.now();
  sim.crash(tm);
  const restartAtMs = crashAtMs + downtimeMs;
  sim.run({ untilMs: restartAtMs - 0.001 });
  const whileDown = cluster.leftovers();
  snapshots.set(cluster, { balances: cluster.balances(), inDoubt: preparedWrites(cluster) });
  sim.at(restartAtMs, () => sim.restart(tm), `restart ${tm}`);
  sim.run({ untilMs: restartAtMs });
  cluster.runUntilSettled({ maxTimeMs: restartAtMs + 5000 });
  return { crashAtMs, restartAtMs, whileDown };
}

const snapshots = new WeakMap<XaCluster, { balances: Record<string, Record<string, number>> | null; inDoubt: string }>();
/** What crashAndRestart saw just before the restart. */
function snapshotBalances(cluster: XaCluster) {
  return snapshots.get(cluster)?.balances ?? null;
}
function snapshotInDoubt(cluster: XaCluster) {
  return snapshots.get(cluster)?.inDoubt ?? '';
}

/** The writes of prepared branches, e.g. "a0 -100, b0 +100" ('none' without any). */
function preparedWrites(cluster: XaCluster): string {
  const out: string[] = [];
  for (const s of cluster.stores) {
    const node = cluster.sim.node<XaRmNode>(s);
    if (node === null) continue;
    for (const b of node.store.branches()) if (b.state === 'prepared') for (const w of b.writes) out.push(`${w.account} ${w.delta > 0 ? '+' : ''}${w.delta}`);
  }
  return out.join(', ') || 'none';
}

function describeBalances(balances: Record<string, Record<string, number>> | null): string {
  if (balances === null) return 'a store is down';
  return Object.values(balances).flatMap((accounts) => Object.entries(accounts).filter(([a]) => a.endsWith('0')).map(([a, v]) => `${a}=${v}`)).join(' ');
}

function rmTimeoutRollbacks(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'annotate' && e.text === 'abort' ? [e.node] : []));
}

function transferOutcome(events: readonly TraceEvent[]): string {
  const outcomes = events.filter((e) => e.kind === 'annotate' && (e.text === 'commit' || e.text === 'abort')) as { text: string; node: string }[];
  const commits = new Set(outcomes.filter((o) => o.text === 'commit').map((o) => o.node));
  const aborts = new Set(outcomes.filter((o) => o.text === 'abort').map((o) => o.node));
  if (commits.size === 2) return 'committed at both banks';
  if (commits.size === 0 && aborts.size > 0) return 'rolled back';
  if (commits.size === 0) return 'no outcome';
  return `MIXED: committed at ${[...commits].join(', ')}, rolled back at ${[...aborts].join(', ')}`;
}

/** One line per transfer: its outcome at each store, with times, and the balances it touched. */
export function describeXaRun(cluster: XaCluster): string {
  const lines: string[] = [];
  const events = cluster.sim.trace.events;
  for (const t of cluster.workload.transfers) {
    const tm = cluster.tmOf[t.id];
    const txn = `${tm}.${t.id}`;
    const parts = events
      .flatMap((e) => (e.kind === 'annotate' && (e.text === 'commit' || e.text === 'abort') && (e.data as { txn?: string })?.txn === txn ? [e] : []))
      .map((e) => `${e.node} ${e.text === 'commit' ? 'committed' : 'rolled back'} at ${e.timeMs} ms`);
    lines.push(`${t.id} (${tm}, ${t.amount} from ${t.from.account} to ${t.to.account}): ${parts.join(', ') || 'no outcome'}`);
  }
  return lines.join('\n');
}

function finish(name: string, seed: number, description: string, cluster: XaCluster): XaScenarioResult {
  return { name, seed, description, cluster, sim: cluster.sim, check: cluster.check({ settled: cluster.settled() }), locks: cluster.locks(), summary: describeXaRun(cluster) };
}

/** The RM nodes' state, for a notebook table: each store's branches and locks now. */
export function storeSnapshot(cluster: XaCluster): { store: string; account: string; balance: number; lockedBy: string }[] {
  const rows: { store: string; account: string; balance: number; lockedBy: string }[] = [];
  for (const s of cluster.stores) {
    const node = cluster.sim.node<XaRmNode>(s);
    if (node === null) continue;
    const locks = new Map(node.store.heldLocks().map((l) => [l.account, l.holder]));
    for (const [account, balance] of Object.entries(node.store.balances())) rows.push({ store: s, account, balance, lockedBy: locks.get(account) ?? '' });
  }
  return rows;
}
