import { TccCheckResult } from '../../checkers/tcc';
import { RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { CHAOS_NETWORK, FaultStep, NetworkOptions, randomFaultScript } from '../../sim';
import { transferWorkload } from '../transfer';
import { TccCluster, tccCluster } from './cluster';
import { TccRules } from './rules';

/**
 * A seeded chaos case for TCC: safety first, then liveness (TigerBeetle's simulator, Jepsen's
 * nemesis then heal). During a chaos phase messages are lost, duplicated and held back (longer
 * than the Try timeout, so that Cancels overtake Tries), the network may split, and the manager
 * and the stores crash and restart; then everything heals and every transfer must finish within
 * a bound. The always-invariants of lib/checkers/tcc must hold throughout, the settled ones at
 * the end. Everything random comes from the seed, so a failing seed replays exactly.
 */
export interface TccChaosOptions {
  /** Store rules to test (a learner's, or a broken variant); the references by default. */
  rules?: Partial<TccRules>;
  /** How many transfers (default 20), submitted about every 10 ms. */
  transfers?: number;
  /** Accounts per store (default 2: contention) with opening balances of 150 (some Tries lack funds). */
  accountsPerStore?: number;
  /** When the chaos stops. Default 600 ms. */
  healAtMs?: number;
  /** How long after healing every transfer must have finished. Default 2000 ms. */
  livenessBoundMs?: number;
  /** The network during the chaos phase (default CHAOS_NETWORK, with messages held back up to 80 ms). */
  network?: Partial<NetworkOptions>;
  /** Partition the network, half the time. Default true. */
  partitions?: boolean;
}

/** Liveness reported apart from safety. */
export type TccLivenessResult = { ok: true } | { ok: false; message: string };

/** One chaos case: its fault script, the cluster (trace included), and the verdicts. */
export interface TccChaosResult {
  seed: number;
  faults: FaultStep[];
  cluster: TccCluster;
  /** The always-invariants, over the whole run. */
  safety: TccCheckResult;
  /** Every transfer finished within the bound after healing. */
  liveness: TccLivenessResult;
  /** The settled invariants (atomicity, no reservation left behind, money back in balances); checked only when live. */
  settled: TccCheckResult;
  /** The call that replays this case. */
  replay: string;
}

/**
 * Runs one chaos case and checks it.
 *
 * @example
 *   const r = tccChaosRun(7);
 *   r.safety.ok && r.liveness.ok && r.settled.ok; // true for the reference rules
 */
export function tccChaosRun(seed: number, options: TccChaosOptions = {}): TccChaosResult {
  requireInteger('seed', seed, 0);
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 600, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 2000, 0, Infinity);
  const transfers = requireInteger('transfers', options.transfers ?? 20, 1);
  const workload = transferWorkload({ seed, transfers, accountsPerStore: options.accountsPerStore ?? 2, openingBalance: 150, meanGapMs: 10 });
  const nodes = ['app', ...workload.stores];
  const faults = randomFaultScript(new RandomStreams(seed).stream('chaos-faults'), {
    crashCandidates: [nodes[0], ...nodes],
    crashes: [1, 3],
    downMs: [10, 200],
    partitions: options.partitions ?? true,
    partitionNodes: nodes,
    partitionMs: [20, 200],
    healAtMs,
    faultWindowFraction: 0.6,
  });
  const cluster = tccCluster({
    seed,
    workload,
    network: { ...CHAOS_NETWORK, reorderDelayMs: 80, ...options.network },
    faults,
    rules: options.rules,
    tryTimeoutMs: 40,
  });
  cluster.run(healAtMs);
  const live = cluster.runUntilFinished({ maxTimeMs: healAtMs + livenessBoundMs });
  const open = cluster.outcomes().filter((o) => o.endedAtMs === null);
  const liveness: TccLivenessResult = live
    ? { ok: true }
    : { ok: false, message: `liveness: ${open.length} transfer(s) not finished ${livenessBoundMs} ms after healing at ${healAtMs} ms: ${open.slice(0, 5).map((o) => `${o.txn} (${o.decision ?? 'undecided'}, debit ${o.debit}, credit ${o.credit})`).join(', ')}` };
  const safety = cluster.safety();
  const settled: TccCheckResult = live ? cluster.settled() : { ok: true };
  return { seed, faults, cluster, safety, liveness, settled, replay: `tccChaosRun(${seed})` };
}

/** The first problem of a chaos case in one line ('ok' when none): safety, then liveness, then the settled invariants. */
export function describeTccChaos(result: TccChaosResult): string {
  if (!result.safety.ok) return `${result.safety.invariant}: ${result.safety.message}`;
  if (!result.liveness.ok) return result.liveness.message;
  if (!result.settled.ok) return `${result.settled.invariant}: ${result.settled.message}`;
  return 'ok';
}
