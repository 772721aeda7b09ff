import { RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { CHAOS_NETWORK, FaultStep, NetworkOptions, randomFaultScript } from '../../sim';
import { transferWorkload } from '../transfer';
import { XaCheckResult, XaCluster, xaCluster } from './cluster';
import { RecoveryRule } from './recovery';

/**
 * A seeded chaos case for XA, safety first, then liveness (as in lib/protocols/twophase/chaos.ts):
 * two AP+TM nodes run transfers between two banks while messages are lost, duplicated and
 * reordered, the network partitions and TMs and RMs crash and restart; then everything heals
 * and, within a bound, every transfer must be finished, with no row lock and no prepared branch
 * left, money conserved, and each transfer committed at both banks or at neither.
 */
export interface XaChaosOptions {
  /** The TMs' recovery decision (a learner's); the reference by default. */
  recovery?: RecoveryRule;
  tms?: number;
  transfers?: number;
  accountsPerStore?: number;
  /** When the chaos stops (default 1000 ms). */
  healAtMs?: number;
  /** How long after healing everything must be finished (default 2500 ms). */
  livenessBoundMs?: number;
  network?: Partial<NetworkOptions>;
}

export interface XaChaosResult {
  seed: number;
  faults: FaultStep[];
  cluster: XaCluster;
  /** Safety during the run (atomicity), then the full check once settled. */
  safety: XaCheckResult;
  liveness: { ok: true } | { ok: false; message: string };
  replay: string;
}

/**
 * Runs one chaos case.
 *
 * @example
 *   const r = xaChaosRun(17);
 *   r.safety.ok && r.liveness.ok; // true with the reference recovery rule
 */
export function xaChaosRun(seed: number, options: XaChaosOptions = {}): XaChaosResult {
  requireInteger('seed', seed, 0);
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 1000, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 2500, 0, Infinity);
  const tms = requireInteger('tms', options.tms ?? 2, 1);
  const workload = transferWorkload({ seed, transfers: options.transfers ?? 8, accountsPerStore: options.accountsPerStore ?? 2, meanGapMs: 60, openingBalance: 150 });
  const tmNames = tms === 1 ? ['tm'] : Array.from({ length: tms }, (_, i) => `tm${i + 1}`);
  const nodes = [...tmNames, ...workload.stores];
  const faults = randomFaultScript(new RandomStreams(seed).stream('chaos-faults'), {
    crashCandidates: [...tmNames, ...tmNames, ...workload.stores],
    crashes: [1, 3],
    downMs: [10, 300],
    partitions: true,
    partitionNodes: nodes,
    partitionMs: [20, 300],
    healAtMs,
    faultWindowFraction: 0.6,
  });
  const cluster = xaCluster({ seed, workload, tms, network: { ...CHAOS_NETWORK, ...options.network }, faults, recovery: options.recovery });
  cluster.run(healAtMs);
  let safety = cluster.check({ settled: false });
  const settled = cluster.runUntilSettled({ maxTimeMs: healAtMs + livenessBoundMs });
  if (safety.ok) safety = cluster.check({ settled });
  const liveness: XaChaosResult['liveness'] = settled
    ? { ok: true }
    : { ok: false, message: `liveness: not finished ${livenessBoundMs} ms after healing at ${healAtMs} ms: ${cluster.leftovers().join('; ') || 'a TM still has work under way'}` };
  return { seed, faults, cluster, safety, liveness, replay: `xaChaosRun(${seed})` };
}
