import { PbftCheckResult } from '../../checkers/pbft';
import { NodeId, RandomStreams, requireInteger } from '../../core';
import { CHAOS_NETWORK, FaultStep, randomFaultScript } from '../../sim';
import { PbftCluster, pbftCluster } from './cluster';
import { BYZANTINE_BEHAVIOURS, ByzantineBehaviour } from './node';
import { PbftRules } from './rules';

/** Options of a PBFT chaos case. */
export interface PbftChaosOptions {
  f?: number;
  clients?: number;
  rules?: Partial<PbftRules>;
  /** When the network faults stop. Default 800 ms. */
  healAtMs?: number;
  /** How long after healing every operation must have completed. Default 8000 ms. */
  livenessBoundMs?: number;
  /** How many replicas are Byzantine: default a random number in [0, f]; more than f to show the break. */
  faulty?: number;
  /** Behaviours to draw from (default all but 'double-vote'). */
  behaviours?: readonly ByzantineBehaviour[];
}

export interface PbftChaosResult {
  seed: number | string;
  byzantine: Record<NodeId, ByzantineBehaviour[]>;
  faults: FaultStep[];
  cluster: PbftCluster;
  safety: PbftCheckResult;
  liveness: PbftCheckResult;
  replay: string;
}

/**
 * One seeded chaos case for PBFT: up to f replicas get a random Byzantine behaviour (one or
 * two each), the network loses, duplicates and reorders messages and may partition, then
 * heals; safety must hold throughout and every client operation must complete within the
 * bound after healing. No crashes: a crash is a fault too, and the Byzantine replicas already
 * use the budget of f.
 *
 * @example
 *   const r = pbftChaosRun(7);
 *   r.safety.ok && r.liveness.ok; // true
 */
export function pbftChaosRun(seed: number | string, options: PbftChaosOptions = {}): PbftChaosResult {
  const f = requireInteger('f', options.f ?? 1, 0);
  const healAtMs = options.healAtMs ?? 800;
  const bound = options.livenessBoundMs ?? 8000;
  const streams = new RandomStreams(seed);
  const pick = streams.stream('pbft-byzantine');
  const replicas = Array.from({ length: 3 * f + 1 }, (_, i) => `r${i + 1}`);
  const count = options.faulty ?? pick.int(0, f);
  const behaviours = options.behaviours ?? BYZANTINE_BEHAVIOURS.filter((b) => b !== 'double-vote');
  const byzantine: Record<NodeId, ByzantineBehaviour[]> = {};
  for (const id of pick.shuffle(replicas).slice(0, count)) {
    const first = pick.pick(behaviours);
    const second = pick.chance(0.3) ? pick.pick(behaviours) : first;
    byzantine[id] = first === second ? [first] : [first, second];
  }
  const faults = randomFaultScript(streams.stream('chaos-faults'), {
    crashCandidates: replicas, crashes: [0, 0], downMs: [0, 0],
    partitions: true, partitionNodes: replicas, partitionMs: [50, 400],
    healAtMs, faultWindowFraction: 0.8,
  });
  const cluster = pbftCluster({
    seed, f, clients: options.clients ?? 2, operations: 1000, stopAtMs: healAtMs, rules: options.rules,
    byzantine, allowBeyondF: count > f, network: CHAOS_NETWORK, faults, checkpointInterval: 4,
  });
  cluster.run(healAtMs);
  const idle = () => cluster.clients.every((id) => cluster.client(id)?.state.current === null);
  cluster.runUntil(idle, healAtMs + bound);
  const live = cluster.liveness();
  const liveness: PbftCheckResult = live.ok ? live : { ...live, message: `${live.message}\n${cluster.summary()}` };
  return { seed, byzantine, faults, cluster, safety: cluster.safety(), liveness, replay: `pbftChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})` };
}
