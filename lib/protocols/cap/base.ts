import { requireInteger, requireNumberInRange } from '../../core';
import { FaultStep } from '../../sim';
import { mergeKey, referenceMergeRules } from '../gossip/merge';
import { Database, Version, newestVersion, sameSiblings } from '../gossip/versions';
import { RegisterCluster, registerCluster } from './cluster';
import { TrafficCount, pairOperations, repairTraffic } from './measures';
import { ReplicaOptions } from './replica';

/**
 * BASE (Pritchett, "BASE: an ACID alternative", 2008: basically available, soft state,
 * eventually consistent), measured on the AP register with one-replica quorums (every request
 * is answered by the replica the client talks to; writes spread in the background): how long
 * the replicas take to agree once writes stop, how stale they are until then, and what each
 * repair costs. Eventual consistency (最终一致性) says only that replicas agree "eventually"
 * (Vogels, "Eventually consistent", 2009); the repairs decide when:
 *
 * - 'none': one replication message per write, nothing else: what a partition or a lost
 *   message cut off stays divergent.
 * - 'read repair': a read also asks every replica and pushes the merge to the stale ones
 *   (Dynamo §4.4's read reconciliation; Cassandra's read repair): only keys that are read heal.
 * - 'write retry': the coordinator re-sends unacknowledged writes every 20 ms (volatile: a
 *   crash forgets them).
 * - 'hinted handoff': retry, and after 40 ms also hand the write to another replica that stores
 *   it durably and delivers it (Dynamo §4.6): a second copy of the duty that survives the
 *   coordinator's crash.
 * - 'merkle anti-entropy': every 20 ms, compare Merkle trees over key ranges with a random
 *   replica and exchange only the ranges that differ (Dynamo §4.7).
 * - 'full anti-entropy': the same schedule, shipping the whole data set each time (the
 *   baseline the trees improve on).
 */
export type BaseRepair = 'none' | 'read repair' | 'write retry' | 'hinted handoff' | 'merkle anti-entropy' | 'full anti-entropy';

/** One repair's measures. */
export interface BaseRow {
  repair: BaseRepair;
  /** When the replicas that are up last started to agree for good (null: they still disagree at the end). */
  convergedAtMs: number | null;
  /** convergedAtMs - writesStopMs (null: not converged). */
  timeToConvergeMs: number | null;
  /** Repair traffic over the whole run: messages, versions carried, Merkle hashes carried. */
  traffic: TrafficCount;
  /** Reads after writes stopped that returned a value other than the key's final value. */
  staleReadsAfterStop: number;
  readsAfterStop: number;
  /** Share of (replica, key) pairs that differed from the merge of all replicas, averaged over samples after writes stopped. */
  meanStaleShareAfterStop: number;
}

/** The staleness timeline: at each sample, the share of (replica up, key) pairs behind the merge of all replicas. */
export interface BaseStalenessRow {
  repair: BaseRepair;
  timeMs: number;
  staleShare: number;
}

/** What `baseComparison` returns: rows, the timeline, and the fault schedule for the chart. */
export interface BaseComparison {
  seed: number | string;
  rows: BaseRow[];
  staleness: BaseStalenessRow[];
  writesStopMs: number;
  faults: FaultStep[];
  clusters: Partial<Record<BaseRepair, RegisterCluster>>;
}

/** Options of the BASE comparison; times in virtual ms. */
export interface BaseComparisonOptions {
  seed: number | string;
  repairs?: BaseRepair[];
  /** Keys (k0..): default 32. */
  keys?: number;
  /** Writes stop here (reads go on). Default 300. */
  writesStopMs?: number;
  /** The run ends here. Default 1500. */
  runMs?: number;
  /** Message loss all along. Default 0.05. */
  dropRate?: number;
  /** The last replica is cut off from the others during this window. Default [50, 400]. */
  partitionMs?: [number, number] | null;
  /** The first replica crashes for good at this time, just before the partition heals (its pending retries die with it). Default 390; null: no crash. */
  crashAtMs?: number | null;
  /** How often staleness is sampled. Default 5. */
  sampleMs?: number;
}

/**
 * Runs the AP register once per repair under the same seed, workload and faults (a partition,
 * message loss, and a crash of the first replica for good), and measures time to converge,
 * staleness and repair traffic.
 *
 * @example
 *   const r = baseComparison({ seed: 1 });
 *   r.rows.map((x) => [x.repair, x.timeToConvergeMs, x.traffic.messages, x.traffic.versions]);
 */
export function baseComparison(options: BaseComparisonOptions): BaseComparison {
  const keyCount = requireInteger('keys', options.keys ?? 32, 1);
  const writesStopMs = requireNumberInRange('writesStopMs', options.writesStopMs ?? 300, 0, Infinity);
  const runMs = requireNumberInRange('runMs', options.runMs ?? 1500, writesStopMs, Infinity);
  const dropRate = requireNumberInRange('dropRate', options.dropRate ?? 0.05, 0, 1);
  const sampleMs = requireNumberInRange('sampleMs', options.sampleMs ?? 5, 0.1, Infinity);
  const repairs = options.repairs ?? ['none', 'read repair', 'write retry', 'hinted handoff', 'merkle anti-entropy', 'full anti-entropy'];
  const keys = Array.from({ length: keyCount }, (_, i) => `k${i}`);
  const replicas = ['r1', 'r2', 'r3'];
  const faults: FaultStep[] = [];
  const partitionMs = options.partitionMs === undefined ? [50, 400] : options.partitionMs;
  if (partitionMs) {
    faults.push({ atMs: partitionMs[0], action: 'partition', groups: [['r1', 'r2', 'c1', 'c2'], ['r3', 'c3']] }, { atMs: partitionMs[1], action: 'heal' });
  }
  const crashAtMs = options.crashAtMs === undefined ? 390 : options.crashAtMs;
  if (crashAtMs !== null) faults.push({ atMs: crashAtMs, action: 'crash', node: 'r1' });
  faults.sort((a, b) => a.atMs - b.atMs);

  const rows: BaseRow[] = [];
  const staleness: BaseStalenessRow[] = [];
  const clusters: Partial<Record<BaseRepair, RegisterCluster>> = {};
  for (const repair of repairs) {
    const replica: Omit<ReplicaOptions, 'replicas' | 'mode'> = { reconciliation: 'lww', writeQuorum: 1, readQuorum: 1, ...repairOptions(repair) };
    const c = registerCluster({
      seed: options.seed,
      mode: 'ap',
      replicas: 3,
      clients: 3,
      replica,
      client: { keys, history: 'kv', readOnlyFromMs: writesStopMs, stopAtMs: runMs, thinkMs: [1, 4], readRatio: 0.3, timeoutMs: 40 },
      network: { dropRate },
      faults: faults.slice(),
    });
    clusters[repair] = c;
    const samples: { timeMs: number; staleShare: number; agree: boolean }[] = [];
    for (let t = sampleMs; t <= runMs + 1e-9; t += sampleMs) {
      c.sim.run({ untilMs: t });
      const up = replicas.filter((r) => c.sim.isUp(r));
      const dbs = up.map((r) => c.database(r));
      const merged = mergeAll(dbs, keys);
      let stale = 0;
      for (const db of dbs) for (const key of keys) if (!sameSiblings(db[key] ?? [], merged[key] ?? [])) stale++;
      const share = dbs.length === 0 ? 0 : stale / (dbs.length * keys.length);
      samples.push({ timeMs: t, staleShare: share, agree: stale === 0 });
      staleness.push({ repair, timeMs: t, staleShare: share });
    }
    let convergedAtMs: number | null = null;
    for (let i = samples.length - 1; i >= 0 && samples[i].agree; i--) convergedAtMs = samples[i].timeMs;
    if (convergedAtMs !== null) convergedAtMs = Math.max(convergedAtMs, firstAfter(samples, writesStopMs));
    const finalMerged = mergeAll(replicas.filter((r) => c.sim.isUp(r)).map((r) => c.database(r)), keys);
    const reads = pairOperations(c.sim.history).filter((o) => o.f === 'read' && o.type === 'ok' && o.invokeMs >= writesStopMs);
    const after = samples.filter((s) => s.timeMs >= writesStopMs);
    rows.push({
      repair,
      convergedAtMs,
      timeToConvergeMs: convergedAtMs === null ? null : convergedAtMs - writesStopMs,
      traffic: repairTraffic(c.sim.trace.events),
      staleReadsAfterStop: reads.filter((o) => o.value !== (newestVersion(finalMerged[o.key])?.value ?? null)).length,
      readsAfterStop: reads.length,
      meanStaleShareAfterStop: after.reduce((s, x) => s + x.staleShare, 0) / Math.max(1, after.length),
    });
  }
  return { seed: options.seed, rows, staleness, writesStopMs, faults, clusters };
}

/** The replica options of one repair. */
export function repairOptions(repair: BaseRepair): Partial<ReplicaOptions> {
  switch (repair) {
    case 'none':
      return {};
    case 'read repair':
      return { readRepair: true };
    case 'write retry':
      return { writeRepair: { retryMs: 20 } };
    case 'hinted handoff':
      return { writeRepair: { retryMs: 20, hintAfterMs: 40 } };
    case 'merkle anti-entropy':
      return { antiEntropy: { periodMs: 20, kind: 'merkle', depth: 4 } };
    case 'full anti-entropy':
      return { antiEntropy: { periodMs: 20, kind: 'full' } };
  }
}

function mergeAll(dbs: readonly Database[], keys: readonly string[]): Record<string, Version[]> {
  const out: Record<string, Version[]> = {};
  for (const key of keys) {
    let merged: Version[] = [];
    for (const db of dbs) merged = mergeKey(merged, db[key], 'lww', referenceMergeRules);
    out[key] = merged;
  }
  return out;
}

function firstAfter(samples: readonly { timeMs: number }[], t: number): number {
  return samples.find((s) => s.timeMs >= t)?.timeMs ?? t;
}
