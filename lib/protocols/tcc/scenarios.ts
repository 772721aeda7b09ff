import { TccCheckResult } from '../../checkers/tcc';
import { NodeId, messageLabel } from '../../core';
import { Simulator } from '../../sim';
import { TransferWorkload } from '../transfer';
import { TccCluster, TccClusterOptions, TccTransferOutcome, tccCluster } from './cluster';

/**
 * The named experiments of the TCC notebook, each reproducible by its seed, each with a last
 * `options` argument for the knobs (timeouts, rules, network): one transfer of 30 from bank-a
 * a0 to bank-b b0 (opening balances 100), on a reliable 1-5 ms network, and one thing going
 * wrong. Every one returns its trace for a space-time diagram and the checker's verdicts.
 */

/** What a scenario returns. */
export interface TccScenarioResult {
  name: string;
  seed: number | string;
  description: string;
  cluster: TccCluster;
  sim: Simulator;
  outcomes: TccTransferOutcome[];
  safety: TccCheckResult;
  settled: TccCheckResult;
  /** One line per transfer. */
  summary: string;
}

/**
 * The one-transfer workload of the scenarios: `amount` from bank-a a0 to bank-b b0 at 10 ms,
 * every account opening with `opening`.
 *
 * @example
 *   tccCluster({ seed: 1, workload: singleTransfer(30) });
 */
export function singleTransfer(amount = 30, opening = 100): TransferWorkload {
  return {
    seed: 0,
    stores: ['bank-a', 'bank-b'],
    balances: { 'bank-a': { a0: opening }, 'bank-b': { b0: opening } },
    transfers: [{ id: 't1', atMs: 10, from: { store: 'bank-a', account: 'a0' }, to: { store: 'bank-b', account: 'b0' }, amount }],
  };
}

type ScenarioOptions = Partial<Omit<TccClusterOptions, 'seed'>>;

/**
 * Nothing goes wrong: Try reserves at both stores, the manager decides Confirm, both apply.
 *
 * @example
 *   tccNormalTransfer(1).summary; // "t1 confirm (decided at ... ms, ended at ... ms): debit confirmed, credit confirmed"
 */
export function tccNormalTransfer(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  cluster.run(300);
  return finish('tccNormalTransfer', seed, 'One transfer of 30 from bank-a to bank-b: both Tries reserve, the manager confirms, both stores apply.', cluster);
}

/**
 * Confirm lost, then retried, then duplicated: right after the decision the link app -> bank-b
 * is cut (the first Confirm is lost); 15 ms later it is back but bank-b -> app is cut, so the
 * re-sent Confirm applies and its reply is lost; the manager re-sends again after its back-off,
 * and bank-b, already CONFIRMED, answers ok without moving money (idempotence).
 */
export function tccConfirmRetried(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  const { sim, coordinator } = cluster;
  runUntilNote(cluster, coordinator, 'decision');
  const [, credit] = cluster.stores;
  sim.cut(coordinator, credit);
  const at = sim.now();
  sim.at(at + 15, () => {
    sim.heal();
    sim.cut(credit, coordinator);
  }, 'let Confirm through, lose its reply');
  sim.at(at + 50, () => sim.heal(), 'heal');
  cluster.run(at + 400);
  return finish('tccConfirmRetried', seed,
    'The first Confirm to bank-b is lost, the second applies but its reply is lost, the third is a duplicate: bank-b answers ok and moves no money.', cluster);
}

/** bank-a's account holds less than the amount: its Try refuses, the manager cancels, bank-b releases its pending credit. */
export function tccInsufficientFunds(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(150), ...options, seed });
  cluster.run(300);
  return finish('tccInsufficientFunds', seed, 'A transfer of 150 from an account holding 100: the debit Try refuses, the manager cancels both branches.', cluster);
}

/**
 * Empty rollback (空回滚): the link app -> bank-b is cut until just before the Try timeout, so
 * both Tries to bank-b (the first and the re-send) are lost. The manager cancels; bank-b gets a
 * Cancel for a branch it never tried, records it as CANCELLED with no change, and answers ok.
 */
export function tccEmptyRollback(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  const { sim, coordinator } = cluster;
  const [, credit] = cluster.stores;
  const tryTimeoutMs = options.tryTimeoutMs ?? 50;
  sim.cut(coordinator, credit);
  sim.at(10 + tryTimeoutMs - 1, () => sim.heal(), 'heal');
  cluster.run(400);
  return finish('tccEmptyRollback', seed,
    'Both Tries to bank-b are lost; the manager times out and cancels; bank-b records an empty rollback (CANCELLED, nothing moved).', cluster);
}

/**
 * Suspension prevented (防悬挂): the link app -> bank-b is slow (100 ms) until just before the
 * Try timeout, so both Tries to bank-b are still on their way when the manager cancels; the
 * Cancel (sent on the fast link again) overtakes them: an empty rollback. When the Tries arrive,
 * bank-b finds the branch CANCELLED and refuses them: no reservation is left behind.
 */
export function tccSuspension(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  const { sim, coordinator } = cluster;
  const [, credit] = cluster.stores;
  const tryTimeoutMs = options.tryTimeoutMs ?? 50;
  const normal = sim.network.options.latency;
  sim.configureLink(coordinator, credit, { latency: { kind: 'constant', ms: 100 } });
  sim.at(10 + tryTimeoutMs - 1, () => sim.configureLink(coordinator, credit, { latency: normal }), 'the link is fast again');
  cluster.run(500);
  return finish('tccSuspension', seed,
    'The Tries to bank-b are slower than the Try timeout: the Cancel overtakes them (empty rollback), and bank-b refuses them when they arrive.', cluster);
}

/**
 * The manager crashes right after sending both Tries and is down for `downtimeMs`: both stores
 * keep the money reserved (frozen at bank-a, pending at bank-b) all that time. On restart it
 * finds `begin` without a decision in its log and cancels.
 */
export function tccCoordinatorCrash(seed: number | string = 1, downtimeMs = 200, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  const { sim, coordinator } = cluster;
  runUntilSentBy(cluster, coordinator, 'Try');
  sim.crash(coordinator);
  const backAtMs = sim.now() + downtimeMs;
  sim.at(backAtMs, () => sim.restart(coordinator), `restart ${coordinator}`);
  cluster.run(backAtMs + 300);
  return finish('tccCoordinatorCrash', seed,
    `The manager crashes right after sending both Tries and restarts ${downtimeMs} ms later: the reservations wait, then recovery cancels.`, cluster);
}

/**
 * A Cancel after Confirm: the transfer is confirmed, then a stale Cancel for both branches
 * arrives from 'old-app', an earlier instance of the application that gave up on the transfer
 * (a zombie: it paused, timed out and compensated; TCC frameworks see this from retry layers
 * and manual compensation jobs). The reference manager never sends one itself: it forces its
 * decision first. The stores must not move money: they answer with the final state, CONFIRMED.
 */
export function tccLateCancel(seed: number | string = 1, options: ScenarioOptions = {}): TccScenarioResult {
  const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
  const { sim } = cluster;
  sim.addNode('old-app', () => ({ onMessage() {}, onTimer() {} }));
  cluster.run(100);
  const t = cluster.workload.transfers[0];
  sim.inject(t.from.store, { type: 'Cancel', txn: t.id, branch: 'debit', account: t.from.account, amount: t.amount }, 'old-app', 2);
  sim.inject(t.to.store, { type: 'Cancel', txn: t.id, branch: 'credit', account: t.to.account, amount: t.amount }, 'old-app', 3);
  cluster.run(300);
  return finish('tccLateCancel', seed,
    'After the transfer is confirmed, a stale Cancel from an old application instance reaches both stores: they answer CONFIRMED and move no money.', cluster);
}

/** Where the manager crashes in `tccCrashAtEachStep`. */
export type TccCrashPoint = 'before Try' | 'after one Try' | 'after both Tries' | 'after the Confirm decision' | 'after one Confirm';

export const tccCrashPoints: readonly TccCrashPoint[] = ['before Try', 'after one Try', 'after both Tries', 'after the Confirm decision', 'after one Confirm'];

/** One row of the crash table: what the stores hold while the manager is down, and after it recovered. */
export interface TccCrashRow {
  crashPoint: TccCrashPoint;
  /** What the manager's log held when it crashed. */
  logged: string;
  /** While down: the branch states, and frozen / pending money (currency units). */
  downDebit: string;
  downCredit: string;
  downFrozen: number;
  downPending: number;
  /** After recovery and the run's end. */
  outcome: string;
  afterDebit: string;
  afterCredit: string;
  afterFrozen: number;
  afterPending: number;
  /** 'ok', or the invariant that broke. */
  check: string;
}

/**
 * What a crash of the manager at each step leaves behind (the ACID-vs-BASE question): for each
 * crash point, the stores' branch states and reserved money while it is down for `downtimeMs`,
 * and after it recovered. Reserved money is not locked the way a prepared XA branch's rows are
 * (other transfers go on using the rest of the account), but it stays unavailable until recovery.
 */
export function tccCrashAtEachStep(seed: number | string = 1, downtimeMs = 200, options: ScenarioOptions = {}): { rows: TccCrashRow[]; runs: TccScenarioResult[] } {
  const rows: TccCrashRow[] = [];
  const runs: TccScenarioResult[] = [];
  for (const crashPoint of tccCrashPoints) {
    const cluster = tccCluster({ workload: singleTransfer(), ...options, seed });
    const { sim, coordinator } = cluster;
    const stores = cluster.stores;
    switch (crashPoint) {
      case 'before Try':
        sim.run({ untilMs: 5 });
        sim.crash(coordinator);
        break;
      case 'after one Try':
        sim.crashAfterNextSend(coordinator, { msgType: 'Try' });
        break;
      case 'after both Tries':
        runUntilSentBy(cluster, coordinator, 'Try');
        sim.crash(coordinator);
        break;
      case 'after the Confirm decision':
        // The decision is forced, and the Confirms of that handler never arrive: as if it crashed between the two.
        runUntilNote(cluster, coordinator, 'decision');
        for (const store of stores) sim.cut(coordinator, store);
        sim.crash(coordinator);
        sim.at(sim.now() + 20, () => sim.heal(), 'heal');
        break;
      case 'after one Confirm':
        sim.crashAfterNextSend(coordinator, { msgType: 'Confirm' });
        break;
    }
    if (sim.isUp(coordinator)) sim.runUntil(() => !sim.isUp(coordinator), { maxTimeMs: 1000 });
    const crashedAt = sim.now();
    const backAtMs = crashedAt + downtimeMs;
    cluster.run(backAtMs - 1);
    const logged = describeLog(sim.durable(coordinator));
    const down = describeStores(cluster);
    sim.at(backAtMs, () => sim.restart(coordinator), `restart ${coordinator}`);
    cluster.runUntilFinished({ maxTimeMs: backAtMs + 2000 });
    cluster.run(sim.now() + 50);
    const after = describeStores(cluster);
    const result = finish(`tccCrashAtEachStep: ${crashPoint}`, seed, `The manager crashes ${crashPoint} and restarts ${downtimeMs} ms later.`, cluster);
    runs.push(result);
    const outcome = result.outcomes[0];
    rows.push({
      crashPoint,
      logged,
      downDebit: down.debit,
      downCredit: down.credit,
      downFrozen: down.frozen,
      downPending: down.pending,
      outcome: outcome.decision ?? 'none',
      afterDebit: after.debit,
      afterCredit: after.credit,
      afterFrozen: after.frozen,
      afterPending: after.pending,
      check: result.settled.ok ? 'ok' : `${result.settled.invariant}: ${result.settled.message}`,
    });
  }
  return { rows, runs };
}

function describeLog(durable: ReadonlyMap<string, unknown>): string {
  const parts: string[] = [];
  for (let i = 0; durable.has(`log:${i}`); i++) {
    const r = durable.get(`log:${i}`) as { type: string; decision?: string };
    parts.push(r.type === 'decision' ? `decision ${r.decision}` : r.type);
  }
  return parts.length === 0 ? '(empty)' : parts.join(', ');
}

function describeStores(cluster: TccCluster): { debit: string; credit: string; frozen: number; pending: number } {
  const snapshot = cluster.snapshot();
  const t = cluster.workload.transfers[0];
  const state = (store: NodeId, branch: string) => snapshot[store].branches.find((b) => b.txn === t.id && b.branch === branch)?.state ?? 'none';
  let frozen = 0;
  let pending = 0;
  for (const s of Object.values(snapshot)) for (const a of Object.values(s.accounts)) {
    frozen += a.frozen;
    pending += a.pending;
  }
  return { debit: state(t.from.store, 'debit'), credit: state(t.to.store, 'credit'), frozen, pending };
}

/** Runs until `node` has sent a message of `type` (the whole handler that sent it has run). */
export function runUntilSentBy(cluster: TccCluster, node: NodeId, type: string): void {
  const { sim } = cluster;
  const sent = sim.runUntilEvent((e) => e.kind === 'send' && e.from === node && messageLabel(e.msg) === type, { maxTimeMs: sim.now() + 10_000, atTimeLimit: 'stop' });
  if (sent === null) throw new Error(`${node} never sent ${type} (${sim.describe()})`);
}

/** Runs until `node` has annotated `text`. */
function runUntilNote(cluster: TccCluster, node: NodeId, text: string): void {
  const { sim } = cluster;
  const noted = sim.runUntilEvent((e) => e.kind === 'annotate' && e.node === node && e.text === text, { maxTimeMs: sim.now() + 10_000, atTimeLimit: 'stop' });
  if (noted === null) throw new Error(`${node} never noted ${text} (${sim.describe()})`);
}

/** One line per transfer, for a notebook's text summary. */
export function describeTccOutcomes(outcomes: readonly TccTransferOutcome[]): string {
  const ms = (v: number | null) => (v === null ? '-' : String(Math.round(v * 10) / 10));
  return outcomes
    .map((o) => `${o.txn} ${o.decision ?? 'undecided'} (decided at ${ms(o.decidedAtMs)} ms, ended at ${ms(o.endedAtMs)} ms): debit ${o.debit}, credit ${o.credit}`)
    .join('\n');
}

function finish(name: string, seed: number | string, description: string, cluster: TccCluster): TccScenarioResult {
  const outcomes = cluster.outcomes();
  return { name, seed, description, cluster, sim: cluster.sim, outcomes, safety: cluster.safety(), settled: cluster.settled(), summary: describeTccOutcomes(outcomes) };
}
