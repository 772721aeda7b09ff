import { AtomicityResult } from '../../checkers/atomicity';
import { NodeId, RandomStreams, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, randomFaultScript, CHAOS_NETWORK } from '../../sim';
import { CommitCluster, commitCluster, spacedTransactions } from './cluster';
import { TxnId, Vote, VotePolicy } from './messages';
import { CommitRules } from './rules';

/**
 * A seeded sweep case for the commit protocols: safety first, then liveness (TigerBeetle's
 * simulator, Jepsen's nemesis then heal). A chaos phase with message loss, duplication,
 * reordering, partitions and crashes of the coordinator and of participants (each restarted),
 * then the network heals and becomes reliable, and every transaction must end at every
 * participant within a bound (for 3PC: every participant that voted). Atomicity must hold
 * throughout (BHG §7.2 AC1-AC2). 2PC keeps it under all of these faults (BHG §7.4); 3PC only
 * in its own model, crashes on a reliable network without partitions (Skeen 1981): pass
 * `partitions: false` and a lossless `network` to stay inside it.
 * Everything random comes from the seed, so a failing seed replays exactly.
 */
export interface ChaosOptions {
  protocol?: '2pc' | '3pc';
  /** Rules to test (a learner's); the reference rules by default. */
  rules?: Partial<CommitRules>;
  participants?: number;
  /** How many transactions (t1.., 30 ms apart from 10 ms). Default 4. */
  transactions?: number;
  /** When the chaos stops. Default 1000 ms. */
  healAtMs?: number;
  /** How long after healing every transaction must have ended everywhere. Default 1500 ms. */
  livenessBoundMs?: number;
  /** The network during the chaos phase (default `CHAOS_NETWORK`). */
  network?: Partial<NetworkOptions>;
  /** Partition the network during the chaos phase, half the time. Default true. */
  partitions?: boolean;
}

/** Liveness reported apart from safety: ok, or which transactions had not ended where, and when. */
export type LivenessResult = { ok: true } | { ok: false; message: string };

/** One chaos case: its fault script, the cluster (trace included), and the two verdicts. */
export interface ChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: CommitCluster;
  atomicity: AtomicityResult;
  liveness: LivenessResult;
  /** The call that replays this case. */
  replay: string;
}

/**
 * Runs one chaos case and checks it. Reports safety (atomicity) and liveness apart.
 *
 * @example
 *   const r = chaosRun(17);
 *   r.atomicity.ok && r.liveness.ok; // true for the reference rules
 */
export function chaosRun(seed: number | string, options: ChaosOptions = {}): ChaosResult {
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 1000, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 1500, 0, Infinity);
  const participants = Array.from({ length: options.participants ?? 3 }, (_, i) => `p${i + 1}`);
  const transactions = spacedTransactions(options.transactions ?? 4, 30);
  const random = new RandomStreams(seed);
  const faults = chaosFaults(random, ['c', ...participants], healAtMs, options.partitions ?? true);
  const vote = randomVotes(random, transactions.map((t) => t.txn), participants);
  const cluster = commitCluster({
    seed,
    protocol: options.protocol ?? '2pc',
    participants,
    transactions,
    network: { ...CHAOS_NETWORK, ...options.network },
    faults,
    vote,
    rules: options.rules,
  });
  cluster.run(healAtMs);
  // 2PC: every participant must learn the outcome (the coordinator re-sends it until acknowledged).
  // 3PC: every participant that voted (Abort is sent once and not acknowledged; one that never
  // voted holds nothing and may never hear of the transaction).
  const mustFinish = (status: string) => cluster.protocol === '2pc' || status !== 'no vote';
  const unfinished = () => {
    const open: string[] = [];
    for (const t of cluster.outcomes()) {
      for (const p of Object.values(t.participants)) if (p.outcomeAtMs === null && mustFinish(p.status)) open.push(`${t.txn} at ${p.node} (${p.status})`);
    }
    return open;
  };
  if (cluster.protocol === '2pc') cluster.runUntilSettled({ maxTimeMs: healAtMs + livenessBoundMs });
  else cluster.run(healAtMs + livenessBoundMs);
  const open = unfinished();
  const liveness: LivenessResult =
    open.length === 0 ? { ok: true } : { ok: false, message: `liveness: not finished ${livenessBoundMs} ms after healing at ${healAtMs} ms: ${open.join(', ')}` };
  return { seed, faults, cluster, atomicity: cluster.atomicity(), liveness, replay: `chaosRun(${JSON.stringify(seed)})` };
}

/**
 * A seeded fault script: one to three crashes (the coordinator twice as likely as any one
 * participant), each restarted after 10-300 ms; half the time a partition that heals after
 * 20-300 ms; at `healAtMs` everything heals and the network becomes reliable.
 */
export function chaosFaults(random: RandomStreams, nodes: readonly NodeId[], healAtMs: number, partitions = true): FaultStep[] {
  return randomFaultScript(random.stream('chaos-faults'), {
    crashCandidates: [nodes[0], ...nodes],
    crashes: [1, 3],
    downMs: [10, 300],
    partitions,
    partitionNodes: nodes,
    partitionMs: [20, 300],
    healAtMs,
    faultWindowFraction: 0.6,
  });
}

/** A seeded vote table: each participant votes NO on a transaction with probability 10%. */
function randomVotes(random: RandomStreams, txns: readonly TxnId[], participants: readonly NodeId[]): VotePolicy {
  const rng = random.stream('chaos-votes');
  const table: Record<string, Vote> = {};
  for (const txn of txns) for (const p of participants) table[`${txn}/${p}`] = rng.chance(0.1) ? 'no' : 'yes';
  return (txn, participant) => table[`${txn}/${participant}`] ?? 'yes';
}
