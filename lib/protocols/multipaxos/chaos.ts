import { LinearizabilityResult } from '../../checkers/linearizability';
import { MultiPaxosCheckResult } from '../../checkers/multipaxos';
import { NodeId, RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, majorityFaultScript, CHAOS_NETWORK } from '../../sim';
import { PaxosRules } from '../paxos/rules';
import { MultiPaxosCluster, multiPaxosCluster, randomWorkload } from './cluster';

/**
 * Options of a Multi-Paxos chaos case. During the chaos phase the network loses, duplicates
 * and reorders messages, a partition may split the servers, and servers crash and restart
 * (never more than f at once, f < n/2: Lamport §3 needs a majority of acceptors up). Then
 * everything heals and restarts, the network becomes reliable, and every client command must
 * be answered and every replica caught up within `livenessBoundMs`. Safety (agreement per
 * slot, in-order application, prefix agreement, at-most-once execution, and a linearizable
 * client history) must hold throughout.
 */
export interface MultiPaxosChaosOptions {
  /** How many servers. Default 3. */
  servers?: number;
  /** How many clients. Default 3. */
  clients?: number;
  /** Commands per client. Default 6. */
  commandsPerClient?: number;
  rules?: Partial<PaxosRules>;
  /** When the chaos stops. Default 500 ms. */
  healAtMs?: number;
  /** How long after healing everything must be done. Default 3000 ms. */
  livenessBoundMs?: number;
  /** The chaos phase's network (default `CHAOS_NETWORK`). */
  network?: Partial<NetworkOptions>;
  /** Partition the servers during the chaos phase, half the time. Default true. */
  partitions?: boolean;
  /** Up to how many crashes (each restarted before healing). Default 3. */
  crashes?: number;
}

/** One chaos case: its fault script, the cluster (trace included), and the verdicts apart. */
export interface MultiPaxosChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: MultiPaxosCluster;
  /** Agreement, order, prefix, at-most-once (lib/checkers/multipaxos.ts). */
  safety: MultiPaxosCheckResult;
  /** The clients' history as a key-value store. */
  linearizability: LinearizabilityResult;
  /** Every command answered and every replica caught up, within the bound after healing. */
  liveness: MultiPaxosCheckResult;
  /** When everything was done (virtual ms), or null if it was not within the bound. */
  settledAtMs: number | null;
  /** The call that replays this case. */
  replay: string;
}

/**
 * Runs one seeded chaos case and checks it: safety first, then liveness after healing
 * (TigerBeetle's simulator, Jepsen's nemesis then heal). Everything random comes from the
 * seed, so a failing seed replays exactly with `multiPaxosChaosRun(seed, options)`.
 *
 * @example
 *   const r = multiPaxosChaosRun(17);
 *   r.safety.ok && r.linearizability.ok && r.liveness.ok; // true with the reference rules
 */
export function multiPaxosChaosRun(seed: number | string, options: MultiPaxosChaosOptions = {}): MultiPaxosChaosResult {
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 500, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 3000, 0, Infinity);
  const serverCount = requireInteger('servers', options.servers ?? 3, 1);
  const servers = Array.from({ length: serverCount }, (_, i) => `n${i + 1}`);
  const random = new RandomStreams(seed);
  const workload = randomWorkload(random.stream('chaos-workload'), {
    clients: options.clients ?? 3,
    commandsPerClient: options.commandsPerClient ?? 6,
    startAtMs: [0, healAtMs / 2],
    thinkMs: [0, 40],
  });
  const faults = multiPaxosChaosFaults(random, servers, healAtMs, options.partitions ?? true, options.crashes ?? 3);
  const cluster = multiPaxosCluster({
    seed,
    servers: serverCount,
    workload,
    network: { ...CHAOS_NETWORK, ...options.network },
    faults,
    rules: options.rules,
  });
  cluster.run(healAtMs);
  const settled = cluster.runUntilSettled({ maxTimeMs: healAtMs + livenessBoundMs });
  const safety = cluster.safety();
  const linearizability = cluster.linearizable();
  let liveness = cluster.liveness();
  if (liveness.ok && !settled) liveness = { ok: false, invariant: 'caught-up', message: cluster.summary() };
  if (!liveness.ok) liveness = { ...liveness, message: `liveness: ${livenessBoundMs} ms after healing at ${healAtMs} ms: ${liveness.message}` };
  return {
    seed,
    faults,
    cluster,
    safety,
    linearizability,
    liveness,
    settledAtMs: settled ? cluster.sim.now() : null,
    replay: `multiPaxosChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})`,
  };
}

/**
 * A seeded fault script over the servers: up to `crashes` crashes, each restarted 10-300 ms
 * later (never more than f = floor((n-1)/2) down at once); half the time a partition that
 * heals after 20-300 ms; at `healAtMs` everything heals and the network becomes reliable.
 * Clients are left out of partitions (they reach every server).
 */
export function multiPaxosChaosFaults(random: RandomStreams, servers: readonly NodeId[], healAtMs: number, partitions = true, crashes = 3): FaultStep[] {
  return majorityFaultScript(random.stream('chaos-faults'), servers, { healAtMs, crashes: [0, crashes], downMs: [10, 300], partitions, partitionMs: [20, 300] });
}
