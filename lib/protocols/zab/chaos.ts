import { LinearizabilityResult } from '../../checkers/linearizability';
import { ZabCheckResult } from '../../checkers/zab';
import { NodeId, RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { CHAOS_NETWORK, FaultStep, NetworkOptions, majorityFaultScript } from '../../sim';
import { ZabCluster, zabCluster } from './cluster';
import { ZabRules } from './rules';

/**
 * Options of a ZAB chaos case. During the chaos phase the FIFO network loses and duplicates
 * messages (CHAOS_NETWORK with `fifo: true`: held-back messages delay the ones behind them
 * instead of being overtaken), a partition may split the servers, and servers crash and restart
 * (never more than f = floor((n-1)/2) down at once: ZAB needs a quorum, §III). On the FIFO
 * links, a duplicate is dropped by its sequence number and a lost message breaks the session
 * it was on: the follower re-elects and re-synchronizes (see ZabNode, "Channels"). Then
 * everything heals, the network stops losing messages, and within `livenessBoundMs` every
 * client must be done and every server caught up.
 */
export interface ZabChaosOptions {
  /** How many servers. Default 5. */
  servers?: number;
  /** How many clients. Default 2. */
  clients?: number;
  rules?: Partial<ZabRules>;
  /** When the chaos stops. Default 1500 ms. */
  healAtMs?: number;
  /** How long after healing everything must be done. Default 3000 ms. */
  livenessBoundMs?: number;
  /** The chaos phase's network (default CHAOS_NETWORK, with fifo: true). */
  network?: Partial<NetworkOptions>;
  /** Partition the servers during the chaos phase, half the time. Default true. */
  partitions?: boolean;
  /** Up to how many crashes (each restarted before healing). Default 3. */
  crashes?: number;
  /** Committed transactions the leader keeps for DIFFs; small, so that SNAP happens under chaos. Default 3. */
  committedLogSize?: number;
}

/** One chaos case: its fault script, the cluster (trace included), and the verdicts apart. */
export interface ZabChaosResult {
  seed: number | string;
  faults: FaultStep[];
  cluster: ZabCluster;
  /** Integrity, total order, agreement, primary order, primary integrity (lib/checkers/zab.ts). */
  safety: ZabCheckResult;
  /** Writes and sync reads as a linearizable key-value store. */
  linearizability: LinearizabilityResult;
  /** Clients done and every server caught up within the bound, and then every transaction delivered everywhere. */
  liveness: { ok: true } | { ok: false; message: string };
  /** Client operations completed. */
  completed: number;
  /** How many times each sync mode was used. */
  syncModes: { DIFF: number; TRUNC: number; SNAP: number };
  /** The call that replays this case. */
  replay: string;
}

/**
 * Runs one seeded chaos case and checks it: safety first, then liveness after healing.
 * Everything random comes from the seed, so `zabChaosRun(seed, options)` replays a case exactly.
 *
 * @example
 *   const r = zabChaosRun(17);
 *   r.safety.ok && r.linearizability.ok === true && r.liveness.ok; // true with the reference rules
 */
export function zabChaosRun(seed: number | string, options: ZabChaosOptions = {}): ZabChaosResult {
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
  const cluster = zabCluster({
    seed,
    servers: serverCount,
    clients: options.clients ?? 2,
    clientOptions: { operations: 1000, keys: ['x', 'y'], thinkMs: 20, stopAtMs: healAtMs },
    rules: options.rules,
    committedLogSize: options.committedLogSize ?? 3,
    network: { ...CHAOS_NETWORK, fifo: true, ...options.network },
    faults,
  });
  cluster.run(healAtMs);
  const settled = cluster.runUntil(() => cluster.clientsIdle() && cluster.caughtUp(), healAtMs + livenessBoundMs);
  let liveness: ZabChaosResult['liveness'] = { ok: true };
  if (!settled) {
    liveness = { ok: false, message: `liveness: ${livenessBoundMs} ms after healing at ${healAtMs} ms, ${cluster.clientsIdle() ? 'the servers had not caught up' : 'a client operation had not completed'}:\n${cluster.summary()}` };
  } else {
    const everywhere = cluster.deliveredEverywhere();
    if (!everywhere.ok) liveness = { ok: false, message: everywhere.message };
  }
  const syncModes = { DIFF: 0, TRUNC: 0, SNAP: 0 };
  for (const e of cluster.sim.trace.events) if (e.kind === 'annotate' && e.text === 'sync') syncModes[(e.data as { mode: 'DIFF' | 'TRUNC' | 'SNAP' }).mode]++;
  return {
    seed,
    faults,
    cluster,
    safety: cluster.safety(),
    linearizability: cluster.linearizability(),
    liveness,
    completed: cluster.sim.history.filter((e) => e.type === 'ok').length,
    syncModes,
    replay: `zabChaosRun(${JSON.stringify(seed)}${Object.keys(options).length ? ', options' : ''})`,
  };
}
