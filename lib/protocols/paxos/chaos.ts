import { PaxosCheckResult } from '../../checkers/paxos';
import { NodeId, RandomStreams, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, randomFaultScript, CHAOS_NETWORK } from '../../sim';
import { PaxosCluster, paxosCluster } from './cluster';
import { PaxosValue } from './messages';
import { PaxosRules } from './rules';

/**
 * A seeded chaos case for Basic Paxos: safety first, then liveness (TigerBeetle's simulator,
 * Jepsen's nemesis then heal). During the chaos phase the network loses, duplicates and
 * reorders messages, a partition may split the cluster, and acceptors (never more than f at
 * once, f < n/2: Lamport §2.1 assumes a majority survives) and proposers crash and restart.
 * Then everything heals, the network becomes reliable, and every learner must learn the chosen
 * value within a bound. Agreement must hold throughout. Everything random comes from the
 * seed, so a failing seed replays exactly with `paxosChaosRun(seed, options)`.
 */
export interface PaxosChaosOptions {
  /** How many acceptors. Default 3. */
  acceptors?: number;
  /** One value per proposer. Default ['x', 'y', 'z']. */
  proposers?: PaxosValue[];
  learners?: number;
  rules?: Partial<PaxosRules>;
  backoffMs?: number;
  /** When the chaos stops. Default 400 ms. */
  healAtMs?: number;
  /** How long after healing every learner must have learned. Default 2000 ms. */
  livenessBoundMs?: number;
  /** The chaos phase's network (default `CHAOS_NETWORK`). */
  network?: Partial<NetworkOptions>;
  /** Partition the network during the chaos phase, half the time. Default true. */
  partitions?: boolean;
  /** Up to how many crashes (each restarted before healing). Default 3. */
  crashes?: number;
}

/** One chaos case: its fault script, the cluster (trace included), and the two verdicts apart. */
export interface PaxosChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: PaxosCluster;
  safety: PaxosCheckResult;
  liveness: PaxosCheckResult;
  /** The call that replays this case. */
  replay: string;
}

/**
 * Runs one chaos case and checks it; safety (agreement) and liveness (all learned) apart.
 *
 * @example
 *   const r = paxosChaosRun(17);
 *   r.safety.ok && r.liveness.ok; // true for the reference rules
 */
export function paxosChaosRun(seed: number | string, options: PaxosChaosOptions = {}): PaxosChaosResult {
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 400, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 2000, 0, Infinity);
  const values = options.proposers ?? ['x', 'y', 'z'];
  const acceptorCount = options.acceptors ?? 3;
  const acceptors = Array.from({ length: acceptorCount }, (_, i) => `a${i + 1}`);
  const proposers = values.map((_, i) => `p${i + 1}`);
  const random = new RandomStreams(seed);
  const rng = random.stream('paxos-chaos');
  const startAtMs = values.map(() => Math.round(rng.uniform(0, 60)));
  const faults = paxosChaosFaults(random, acceptors, proposers, healAtMs, options.partitions ?? true, options.crashes ?? 3);
  const cluster = paxosCluster({
    seed,
    acceptors: acceptorCount,
    proposers: values,
    startAtMs,
    learners: options.learners ?? 2,
    network: { ...CHAOS_NETWORK, ...options.network },
    faults,
    backoffMs: options.backoffMs,
    rules: options.rules,
  });
  cluster.run(healAtMs);
  cluster.runUntilLearned({ maxTimeMs: healAtMs + livenessBoundMs });
  const safety = cluster.agreement();
  let liveness = cluster.learned();
  if (!liveness.ok) liveness = { ...liveness, message: `liveness: ${livenessBoundMs} ms after healing at ${healAtMs} ms: ${liveness.message}` };
  return { seed, faults, cluster, safety, liveness, replay: `paxosChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})` };
}

/**
 * A seeded fault script: up to `crashes` crashes, each restarted 10-200 ms later, of acceptors
 * (never more than f = floor((n-1)/2) down at once) and proposers; half the time a partition
 * that heals after 20-200 ms; at `healAtMs` everything heals and the network becomes reliable.
 */
export function paxosChaosFaults(random: RandomStreams, acceptors: readonly NodeId[], proposers: readonly NodeId[], healAtMs: number, partitions = true, crashes = 3): FaultStep[] {
  const everyone = [...acceptors, ...proposers];
  return randomFaultScript(random.stream('chaos-faults'), {
    crashCandidates: everyone,
    crashes: [0, crashes],
    downMs: [10, 200],
    partitions,
    partitionNodes: everyone,
    partitionMs: [20, 200],
    healAtMs,
    faultWindowFraction: 0.7,
    downLimit: { group: acceptors, limit: Math.floor((acceptors.length - 1) / 2) },
  });
}
