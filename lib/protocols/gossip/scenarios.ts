import { NodeId, RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, randomFaultScript } from '../../sim';
import { GossipClusterOptions, gossipCluster } from './cluster';

/**
 * The gossip notebook's scenarios on the simulator: direct mail losing updates when its
 * queue overflows (Demers §1.2), and the three mechanisms spreading an update while nodes
 * crash and restart and the network is partitioned (§1.5: rumor mongering backed up by
 * anti-entropy).
 */

/** One row of the direct-mail experiment: a queue capacity and what reached whom. */
export interface DirectMailRow {
  queueCapacity: number;
  /** Anti-entropy running behind direct mail (push-pull, every round)? */
  backedByAntiEntropy: boolean;
  /** Share of (update, other node) pairs that the update reached by the end. */
  deliveredShare: number;
  /** Mail thrown away because the queue was full. */
  mailLost: number;
  messages: number;
}

/**
 * Direct mail with a bounded retry queue: node n1 writes `updates` keys one round apart on a
 * lossy network; every mail waits in the queue until acknowledged, so a small queue fills up
 * and later mail is thrown away (Demers §1.2: "queue overflow"). With anti-entropy behind it
 * the losses are repaired.
 *
 * @example
 *   directMailOverflow({ seed: 1, n: 30, capacities: [10, 50, 1000] });
 *   // [{ queueCapacity: 10, backedByAntiEntropy: false, deliveredShare: 0.2, mailLost: 220, ... }, ...]
 */
export function directMailOverflow(options: { seed: number | string; n?: number; updates?: number; capacities: readonly number[]; dropRate?: number; runMs?: number }): DirectMailRow[] {
  const n = requireInteger('n', options.n ?? 30, 2);
  const updates = requireInteger('updates', options.updates ?? 8, 1);
  const dropRate = requireNumberInRange('dropRate', options.dropRate ?? 0.2, 0, 1);
  const runMs = requireNumberInRange('runMs', options.runMs ?? 500, 1, Infinity);
  const rows: DirectMailRow[] = [];
  for (const queueCapacity of options.capacities) {
    for (const backedByAntiEntropy of [false, true]) {
      const c = gossipCluster({
        seed: options.seed,
        n,
        directMail: { queueCapacity, retryMs: 20 },
        antiEntropy: backedByAntiEntropy ? { mode: 'push-pull' } : undefined,
        network: { latency: { kind: 'uniform', minMs: 1, maxMs: 3 }, dropRate },
        recordTrace: false,
      });
      for (let u = 0; u < updates; u++) c.write('n1', `k${u}`, `v${u}`, u * c.roundMs);
      c.sim.run({ untilMs: runMs });
      let delivered = 0;
      for (let u = 0; u < updates; u++) delivered += c.informed(`k${u}`) - 1;
      rows.push({ queueCapacity, backedByAntiEntropy, deliveredShare: delivered / (updates * (n - 1)), mailLost: c.mailLost(), messages: c.messages() });
    }
  }
  return rows;
}

/** One row of the fault experiment: after a round, the share of live nodes that knew the update. */
export interface FaultSpreadRow {
  round: number;
  timeMs: number;
  mechanism: string;
  /** Nodes up and knowing the update, over nodes up. */
  informedShare: number;
  /** Nodes still spreading it as a hot rumor. */
  spreading: number;
}

/** What `gossipUnderFaults` returns: the rows for the chart and the fault windows for the timeline. */
export interface FaultSpreadResult {
  rows: FaultSpreadRow[];
  partition: { startMs: number; endMs: number; groups: NodeId[][] } | null;
  faults: FaultStep[];
}

/**
 * One update spreading while nodes crash and restart (churn: a restarted node keeps its
 * database, which is durable, but forgets its hot rumors and mail queue) and the network is
 * cut in two halves for a while, for anti-entropy (push-pull), rumor mongering (counter, k),
 * and rumor mongering with anti-entropy running beside it (Demers §1.5). The same fault
 * script for all three. Rumor mongering alone dies out inside the half where it started;
 * anti-entropy crosses once the partition heals.
 *
 * @example
 *   const r = gossipUnderFaults({ seed: 1, n: 200 });
 *   r.rows.filter((x) => x.mechanism === 'rumor k=2').at(-1).informedShare; // < 1: the other half never heard it
 */
export function gossipUnderFaults(options: {
  seed: number | string;
  n?: number;
  k?: number;
  rounds?: number;
  /**
   * The partition: from the middle of round `partitionRounds[0]` to that of `[1]` (null: none).
   * Default [0, 40]: before the update leaves n1, and long enough for the rumor to die on its
   * side. (With feedback, a contact lost in the partition does not count as useless, so a
   * rumor outlives a short partition and crosses when it heals.)
   */
  partitionRounds?: [number, number] | null;
  /** How many crashes (each restarted 20-100 ms later) during the first rounds. Default n / 10. */
  crashes?: number;
  network?: Partial<NetworkOptions>;
}): FaultSpreadResult {
  const n = requireInteger('n', options.n ?? 200, 4);
  const k = requireInteger('k', options.k ?? 2, 1);
  const rounds = requireInteger('rounds', options.rounds ?? 70, 1);
  const roundMs = 10;
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const partitionRounds = options.partitionRounds === undefined ? [0, 40] : options.partitionRounds;
  const rng = new RandomStreams(options.seed).stream('gossip-faults');
  const crashes = requireInteger('crashes', options.crashes ?? Math.floor(n / 10), 0);
  const faults = randomFaultScript(rng, {
    crashCandidates: nodes.slice(1), // the origin stays up, so that every run starts the same
    crashes: [crashes, crashes],
    downMs: [20, 100],
    partitions: false,
    partitionNodes: nodes,
    partitionMs: [0, 0],
    healAtMs: rounds * roundMs,
    faultWindowFraction: 0.5,
  }).filter((s) => s.action === 'crash' || s.action === 'restart');
  let partition: FaultSpreadResult['partition'] = null;
  if (partitionRounds) {
    const shuffled = rng.shuffle(nodes.slice(1));
    const groups = [['n1', ...shuffled.slice(0, n / 2 - 1)], shuffled.slice(n / 2 - 1)];
    partition = { startMs: partitionRounds[0] * roundMs + roundMs / 2, endMs: partitionRounds[1] * roundMs + roundMs / 2, groups };
    faults.push({ atMs: partition.startMs, action: 'partition', groups }, { atMs: partition.endMs, action: 'heal' });
  }
  const variants: [string, Partial<GossipClusterOptions>][] = [
    ['anti-entropy push-pull', { antiEntropy: { mode: 'push-pull' } }],
    [`rumor k=${k}`, { rumor: { k } }],
    [`rumor k=${k} + anti-entropy`, { rumor: { k }, antiEntropy: { mode: 'push-pull' } }],
  ];
  const rows: FaultSpreadRow[] = [];
  for (const [mechanism, extra] of variants) {
    const c = gossipCluster({ seed: options.seed, n, roundMs, network: options.network, faults: faults.slice(), recordTrace: false, ...extra });
    c.write('n1', 'u', 'u', 0);
    for (let r = 0; r <= rounds; r++) {
      c.runThroughRound(r);
      const up = nodes.filter((id) => c.sim.isUp(id)).length;
      rows.push({ round: r, timeMs: (r + 1) * roundMs, mechanism, informedShare: c.informed('u') / up, spreading: c.spreading() });
    }
  }
  return { rows, partition, faults: faults.sort((a, b) => a.atMs - b.atMs) };
}
