import { checkRegisterHistory } from '../../checkers/linearizability';
import { NodeId, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions } from '../../sim';
import { Reconciliation } from '../gossip/merge';
import { RegisterCluster, registerCluster } from './cluster';
import { availability, lostUpdates, pairOperations, staleReads } from './measures';

/**
 * The CAP trade-off (Gilbert & Lynch, "Brewer's conjecture and the feasibility of consistent,
 * available, partition-tolerant web services", 2002, Theorem 1: no register is both
 * linearizable and available under partitions), run rather than proved: the same register,
 * the same clients and the same partition schedule, run as CP and as AP (last-writer-wins, or
 * vector clocks keeping siblings), with the four measures side by side.
 */

/** The register variants compared. */
export type CapVariant = 'CP' | 'AP last-writer-wins' | 'AP vector clocks';

/** One variant's measures. */
export interface CapRow {
  variant: CapVariant;
  requests: number;
  served: number;
  /** served / requests (Gilbert & Lynch's availability: every request gets a (non-error) answer). */
  availability: number;
  reads: number;
  staleReads: number;
  writesAcknowledged: number;
  lostUpdates: number;
  /** The most siblings any replica keeps for the key at the end (vector clocks only). */
  maxSiblings: number;
  /** The linearizability checker's verdict on the client history (lib/checkers/linearizability). */
  linearizable: boolean | 'unknown';
  /** The checker's message when it is not linearizable. */
  linearizabilityMessage: string;
}

/** Served and refused requests per time bucket and variant, for the timeline chart. */
export interface CapTimelineRow {
  variant: CapVariant;
  bucketStartMs: number;
  served: number;
  refused: number;
}

/** What `capComparison` returns: rows for the side-by-side chart, the timeline, and the partition's window. */
export interface CapComparison {
  seed: number | string;
  rows: CapRow[];
  timeline: CapTimelineRow[];
  partition: { startMs: number; endMs: number; groups: NodeId[][] } | null;
  clusters: Record<CapVariant, RegisterCluster>;
}

/** Options of the CAP comparison; times in virtual ms. */
export interface CapComparisonOptions {
  seed: number | string;
  /** The partition window (null: no partition, the case where CP and AP both stay consistent and available). Default { startMs: 200, endMs: 600 }. */
  partition?: { startMs: number; endMs: number } | null;
  /** Clients stop making requests at this time. Default 800. */
  runMs?: number;
  /** Time after runMs for anti-entropy to reconcile the AP replicas before lost updates are counted. Default 300. */
  settleMs?: number;
  replicas?: number;
  clients?: number;
  /** Bucket width of the timeline. Default 50. */
  bucketMs?: number;
  network?: Partial<NetworkOptions>;
  variants?: CapVariant[];
  /**
   * How long an AP replica waits for its quorum before answering with what it has. Default 10
   * ms: long enough for the quorum on a healthy 1-5 ms network, short enough that the AP side
   * keeps answering quickly during the partition.
   */
  apTimeoutMs?: number;
  /** Share of reads in every client's workload. Default 0.8 (read-heavy: a side that mostly reads shows the stale values). */
  readRatio?: number;
}

/**
 * Runs each variant under the same seed and partition schedule and measures availability,
 * stale reads, lost updates and the linearizability verdict. AP replicas reconcile by
 * anti-entropy (the whole key every 20 ms) once the partition heals.
 *
 * @example
 *   const r = capComparison({ seed: 1 });
 *   r.rows.map((x) => [x.variant, x.availability, x.staleReads, x.lostUpdates, x.linearizable]);
 *   // CP: availability < 1, no stale reads, no lost updates, linearizable;
 *   // AP last-writer-wins: availability 1, stale reads, lost updates, not linearizable; ...
 */
export function capComparison(options: CapComparisonOptions): CapComparison {
  const runMs = requireNumberInRange('runMs', options.runMs ?? 800, 1, Infinity);
  const settleMs = requireNumberInRange('settleMs', options.settleMs ?? 300, 0, Infinity);
  const bucketMs = requireNumberInRange('bucketMs', options.bucketMs ?? 50, 1, Infinity);
  const window = options.partition === undefined ? { startMs: 200, endMs: 600 } : options.partition;
  if (window) {
    requireNumberInRange('partition.startMs', window.startMs, 0, Infinity);
    requireNumberInRange('partition.endMs', window.endMs, window.startMs, Infinity);
  }
  const replicas = requireInteger('replicas', options.replicas ?? 3, 1);
  const variants = options.variants ?? ['CP', 'AP last-writer-wins', 'AP vector clocks'];
  const rows: CapRow[] = [];
  const timeline: CapTimelineRow[] = [];
  const clusters = {} as Record<CapVariant, RegisterCluster>;
  let groups: NodeId[][] = [];
  for (const variant of variants) {
    const ap = variant !== 'CP';
    const reconciliation: Reconciliation = variant === 'AP vector clocks' ? 'vector-clocks' : 'lww';
    const probe = registerCluster({ seed: options.seed, mode: 'cp', replicas, clients: options.clients, recordTrace: false });
    groups = probe.partitionGroups();
    const faults: FaultStep[] = window ? [{ atMs: window.startMs, action: 'partition', groups }, { atMs: window.endMs, action: 'heal' }] : [];
    const c = registerCluster({
      seed: options.seed,
      mode: ap ? 'ap' : 'cp',
      replicas,
      clients: options.clients,
      replica: ap ? { reconciliation, antiEntropy: { periodMs: 20, kind: 'full' }, timeoutMs: options.apTimeoutMs ?? 10 } : {},
      client: { stopAtMs: runMs, readRatio: options.readRatio ?? 0.8 },
      network: options.network,
      faults,
    });
    clusters[variant] = c;
    c.sim.run({ untilMs: runMs + settleMs });
    const ops = pairOperations(c.sim.history);
    const served = availability(ops);
    const verdict = checkRegisterHistory(c.sim.history);
    const finalDbs = c.replicas.map((r) => c.database(r));
    rows.push({
      variant,
      requests: served.requests,
      served: served.served,
      availability: served.share,
      reads: ops.filter((o) => o.f === 'read').length,
      staleReads: staleReads(ops).length,
      writesAcknowledged: ops.filter((o) => o.f === 'write' && o.type === 'ok').length,
      lostUpdates: lostUpdates(c.sim.trace.events, ops, finalDbs).length,
      maxSiblings: Math.max(0, ...finalDbs.map((db) => Math.max(0, ...Object.values(db).map((v) => v.length)))),
      linearizable: verdict.ok,
      linearizabilityMessage: verdict.ok === true ? '' : verdict.message,
    });
    for (let start = 0; start < runMs + settleMs; start += bucketMs) {
      const inBucket = ops.filter((o) => o.invokeMs >= start && o.invokeMs < start + bucketMs);
      if (inBucket.length === 0 && start >= runMs) continue;
      timeline.push({ variant, bucketStartMs: start, served: inBucket.filter((o) => o.type === 'ok').length, refused: inBucket.filter((o) => o.type !== 'ok').length });
    }
  }
  return { seed: options.seed, rows, timeline, partition: window ? { ...window, groups } : null, clusters };
}
