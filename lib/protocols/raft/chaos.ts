import { RaftCheckResult } from '../../checkers/raft';
import { LinearizabilityResult } from '../../checkers/linearizability';
import { NodeId, RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, majorityFaultScript } from '../../sim';
import { RaftCluster, raftCluster } from './cluster';
import { KvClient } from './kv';
import { RaftRules } from './rules';

/**
 * A seeded chaos case for Raft: safety first, then liveness (TigerBeetle's simulator, Jepsen's
 * nemesis then heal), as lib/protocols/paxos/chaos.ts. During the chaos phase the network
 * loses, duplicates and reorders messages, a partition may split the cluster, and servers
 * crash and restart (never more than f = floor((n-1)/2) down at once: §5.2 assumes a majority
 * survives). Key-value clients run throughout. Then everything heals, the network becomes
 * reliable, and every client's last operation must complete within a bound. Figure 3's five
 * properties and linearizability of the clients' history must hold throughout. Everything
 * random comes from the seed: `raftChaosRun(seed, options)` replays a case exactly.
 */
export interface RaftChaosOptions {
  /** How many servers. Default 5. */
  servers?: number;
  /** How many key-value clients. Default 2. */
  clients?: number;
  rules?: Partial<RaftRules>;
  /** Snapshot threshold (entries); default 25, so that InstallSnapshot happens under chaos. */
  snapshotThreshold?: number;
  /** When the chaos stops. Default 1500 ms. */
  healAtMs?: number;
  /** How long after healing every client's operation must have completed. Default 3000 ms. */
  livenessBoundMs?: number;
  /** The chaos phase's network (default `raftChaosNetwork`). */
  network?: Partial<NetworkOptions>;
  /** Partition the network during the chaos phase, half the time. Default true. */
  partitions?: boolean;
  /** Up to how many crashes (each restarted before healing). Default 3. */
  crashes?: number;
  /** Check the clients' history for linearizability. Default true. */
  linearizability?: boolean;
}

/** One chaos case: its fault script, the cluster (trace included), and the verdicts apart. */
export interface RaftChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: RaftCluster;
  safety: RaftCheckResult;
  linearizability: LinearizabilityResult | null;
  liveness: { ok: true } | { ok: false; message: string };
  /** Operations the clients completed. */
  completed: number;
  /** The call that replays this case. */
  replay: string;
}

/** The chaos phase's network: 1-10 ms, 10% lost, 5% duplicated, 10% held back up to 30 ms. */
export const raftChaosNetwork: Partial<NetworkOptions> = {
  latency: { kind: 'uniform', minMs: 1, maxMs: 10 },
  dropRate: 0.1,
  duplicateRate: 0.05,
  reorderRate: 0.1,
  reorderDelayMs: 30,
};

/**
 * Runs one chaos case and checks it.
 *
 * @example
 *   const r = raftChaosRun(17);
 *   r.safety.ok && r.liveness.ok && r.linearizability?.ok; // true for the reference rules
 */
export function raftChaosRun(seed: number | string, options: RaftChaosOptions = {}): RaftChaosResult {
  const healAtMs = requireNumberInRange('healAtMs', options.healAtMs ?? 1500, 1, Infinity);
  const livenessBoundMs = requireNumberInRange('livenessBoundMs', options.livenessBoundMs ?? 3000, 0, Infinity);
  const serverCount = requireInteger('servers', options.servers ?? 5, 1);
  const servers: NodeId[] = Array.from({ length: serverCount }, (_, i) => `n${i + 1}`);
  const faults = majorityFaultScript(new RandomStreams(seed).stream('chaos-faults'), servers, {
    healAtMs,
    crashes: [0, options.crashes ?? 3],
    downMs: [20, 600],
    partitions: options.partitions ?? true,
    partitionMs: [100, 800],
  });
  const cluster = raftCluster({
    seed,
    servers: serverCount,
    rules: options.rules,
    snapshotThreshold: options.snapshotThreshold ?? 25,
    kvClients: options.clients ?? 2,
    kvClientOptions: { operations: 1000, keys: ['x', 'y'], thinkMs: 20, stopAtMs: healAtMs },
    network: { ...raftChaosNetwork, ...options.network },
    faults,
  });
  cluster.run(healAtMs);
  const clientsIdle = () => cluster.clients.every((id) => cluster.sim.node<KvClient>(id)?.state.current === null);
  const live = cluster.runUntil(clientsIdle, healAtMs + livenessBoundMs);
  const liveness: RaftChaosResult['liveness'] = live
    ? { ok: true }
    : { ok: false, message: `liveness: ${livenessBoundMs} ms after healing at ${healAtMs} ms, a client operation had not completed:\n${cluster.summary()}` };
  const safety = cluster.safety();
  const linearizability = options.linearizability ?? true ? cluster.linearizability() : null;
  const completed = cluster.sim.history.filter((e) => e.type === 'ok').length;
  return { seed, faults, cluster, safety, linearizability, liveness, completed, replay: `raftChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})` };
}
