import { NodeId, RandomStreams, requireNumberInRange } from '../../core';
import { CHAOS_NETWORK, FaultStep, NetworkOptions, randomFaultScript } from '../../sim';
import { QuorumCheckResult } from './checks';
import { QuorumCluster, quorumCluster } from './cluster';
import { QuorumSize } from './config';
import { ReadRepairMode } from './node';
import { QuorumRules } from './rules';

/** Options of a quorum chaos case. */
export interface QuorumChaosOptions {
  nodes?: number;
  N?: number;
  W?: QuorumSize;
  R?: QuorumSize;
  sloppy?: boolean;
  readRepair?: ReadRepairMode;
  rules?: Partial<QuorumRules>;
  /** When the chaos stops. Default 600 ms. */
  healAtMs?: number;
  /** How long after healing the replicas must have converged. Default 2000 ms. */
  livenessBoundMs?: number;
  network?: Partial<NetworkOptions>;
  /** Keys the clients work on. Default 3. */
  keys?: number;
}

/** One chaos case: its fault script, the cluster, and the two verdicts apart. */
export interface QuorumChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: QuorumCluster;
  /** Safety: every read begun after a write completed sees it (readsLatestWrite). */
  safety: QuorumCheckResult;
  /** Liveness: after healing, anti-entropy converges every key's home replicas within the bound. */
  liveness: QuorumCheckResult;
  replay: string;
}

/**
 * A seeded chaos case for the quorum store, as for the other topics: during the chaos phase
 * the network loses, duplicates and reorders messages (CHAOS_NETWORK), a partition may split
 * the nodes, and nodes crash and restart; three clients put and get a few keys through random
 * coordinators. Safety (reads see the latest completed write) is checked throughout; after
 * healing, anti-entropy must converge every key's replicas within `livenessBoundMs`. With
 * W + R > N and a strict quorum, safety holds on every seed; with W + R <= N or `sloppy`,
 * the sweep finds seeds where it does not.
 *
 * @example
 *   const r = quorumChaosRun(5, { W: 2, R: 2 });
 *   r.safety.ok && r.liveness.ok; // true
 */
export function quorumChaosRun(seed: number | string, options: QuorumChaosOptions = {}): QuorumChaosResult {
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 600, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 2000, 0, Infinity);
  const nodeCount = options.nodes ?? 5;
  const nodes: NodeId[] = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  const random = new RandomStreams(seed);
  const faults = randomFaultScript(random.stream('chaos-faults'), {
    crashCandidates: nodes, crashes: [0, 3], downMs: [20, 200], partitions: true, partitionNodes: nodes,
    partitionMs: [20, 200], healAtMs, faultWindowFraction: 0.7,
  });
  const cluster = quorumCluster({
    seed, nodes, N: options.N ?? 3, W: options.W ?? 'QUORUM', R: options.R ?? 'QUORUM', sloppy: options.sloppy ?? false,
    readRepair: options.readRepair ?? 'async', rules: options.rules, clients: 3, antiEntropyIntervalMs: 50, clientTimeoutMs: 200,
    network: { ...CHAOS_NETWORK, ...options.network }, faults, recordTrace: false,
  });
  const workload = random.stream('chaos-workload');
  const keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i + 1}`);
  let value = 0;
  for (const client of cluster.clients) {
    for (let at = workload.uniform(0, 20); at < healAtMs; at += workload.uniform(5, 40)) {
      const key = workload.pick(keys);
      const via = workload.pick(nodes);
      if (workload.chance(0.5)) cluster.put(key, `${client}-${++value}`, { client, via, atMs: at });
      else cluster.get(key, { client, via, atMs: at });
    }
  }
  cluster.run(healAtMs);
  const converged = () => cluster.divergentKeys().length === 0;
  cluster.sim.runUntil(() => cluster.sim.now() >= healAtMs + livenessBoundMs || (cluster.nodes.every((n) => cluster.sim.isUp(n)) && converged()), { maxEvents: 5_000_000 });
  const safety = cluster.readsLatest();
  const divergent = cluster.divergentKeys();
  const liveness: QuorumCheckResult = divergent.length === 0
    ? { ok: true }
    : { ok: false, message: `liveness: ${livenessBoundMs} ms after healing at ${healAtMs} ms the replicas of ${divergent.map((k) => JSON.stringify(k)).join(', ')} still differ` };
  return { seed, faults, cluster, safety, liveness, replay: `quorumChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})` };
}
