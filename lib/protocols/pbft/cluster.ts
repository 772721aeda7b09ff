import { PbftCheckResult, checkPbftLiveness, checkPbftSafety } from '../../checkers/pbft';
import { ConfigError, NodeId, requireInteger } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { PbftClient } from './client';
import { ByzantineBehaviour, PbftReplica, PbftReplicaOptions, checkPbftConfig } from './node';

/** Options of a PBFT cluster. Only `seed` is required. */
export interface PbftClusterOptions extends Omit<PbftReplicaOptions, 'replicas' | 'f' | 'keySeed' | 'byzantine'> {
  seed: number | string;
  /** Faults tolerated. Default 1. */
  f?: number;
  /** Replicas r1..rn. Default 3f+1; fewer is refused. */
  n?: number;
  /** Clients c1..ck. Default 1. */
  clients?: number;
  operations?: number;
  stopAtMs?: number;
  retransmitMs?: number;
  /** Byzantine replicas and what they do; at most f of them unless `allowBeyondF`. */
  byzantine?: Record<NodeId, readonly ByzantineBehaviour[]>;
  /** Allow more than f faulty replicas (to show what breaks). Default false. */
  allowBeyondF?: boolean;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  recordTrace?: boolean;
}

/** A simulator with PBFT replicas and clients, and the checks a test or notebook needs. */
export interface PbftCluster {
  sim: Simulator;
  f: number;
  replicas: NodeId[];
  honest: NodeId[];
  clients: NodeId[];
  node(id: NodeId): PbftReplica | null;
  client(id: NodeId): PbftClient | null;
  run(untilMs: number): void;
  runUntil(predicate: () => boolean, maxTimeMs?: number): boolean;
  /** Whether every client finished its operations (none open). */
  clientsIdle(): boolean;
  safety(): PbftCheckResult;
  liveness(): PbftCheckResult;
  /** Messages honest replicas dropped for a bad MAC or signature. */
  authFailures(): number;
  summary(): string;
}

/**
 * Builds a PBFT cluster (Castro & Liskov 1999): replicas r1..rn (n >= 3f+1), clients c1..ck,
 * some replicas Byzantine if asked. Same seed, same trace.
 *
 * @example
 *   const c = pbftCluster({ seed: 1, f: 1, operations: 5, byzantine: { r1: ['silent'] } });
 *   c.runUntil(c.clientsIdle, 5000); // true: a view change replaced the silent primary
 *   c.safety();                      // { ok: true }
 */
export function pbftCluster(options: PbftClusterOptions): PbftCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  const f = requireInteger('f', options.f ?? 1, 0);
  const n = requireInteger('n', options.n ?? 3 * f + 1, 1);
  checkPbftConfig(n, f);
  const { seed, network, faults, recordTrace, byzantine = {}, allowBeyondF, clients: k, operations, stopAtMs, retransmitMs, f: _f, n: _n, ...rest } = options;
  const replicas = Array.from({ length: n }, (_, i) => `r${i + 1}`);
  const clients = Array.from({ length: requireInteger('clients', k ?? 1, 0) }, (_, i) => `c${i + 1}`);
  const faulty = Object.keys(byzantine).filter((id) => byzantine[id].length > 0);
  for (const id of faulty) if (!replicas.includes(id)) throw new ConfigError('byzantine', `keys among ${replicas.join(', ')}`, id);
  if (faulty.length > f && !allowBeyondF) throw new ConfigError('byzantine', `at most f = ${f} faulty replicas (or allowBeyondF: true)`, faulty);
  const sim = new Simulator({ seed, network, recordTrace });
  const keySeed = sim.seed;
  for (const id of replicas) sim.addNode(id, () => new PbftReplica({ ...rest, replicas, f, keySeed, byzantine: byzantine[id] ?? [] }));
  for (const id of clients) sim.addNode(id, () => new PbftClient({ replicas, f, keySeed, operations, stopAtMs, retransmitMs }));
  if (faults) sim.schedule(faults);
  const honest = replicas.filter((r) => !faulty.includes(r));
  const node = (id: NodeId) => sim.node<PbftReplica>(id);
  const client = (id: NodeId) => sim.node<PbftClient>(id);
  // Past maxTimeMs: stop there (the clock moves to it; never jump to a far-away event).
  const runUntil = (predicate: () => boolean, maxTimeMs = sim.now() + 5000) => sim.runUntil(predicate, { maxEvents: 5_000_000, maxTimeMs, atTimeLimit: 'stop' });
  const clientsIdle = () => clients.every((id) => {
    const c = client(id);
    return c !== null && (c.state.current === null && (c.state.done >= (operations ?? 10) || (stopAtMs !== undefined && sim.now() >= stopAtMs)));
  });
  return {
    sim, f, replicas, honest, clients, node, client,
    run: (untilMs) => sim.run({ untilMs }),
    runUntil,
    clientsIdle,
    safety: () => checkPbftSafety(sim.trace.events, honest),
    liveness: () => checkPbftLiveness(sim.history),
    authFailures: () => honest.reduce((sum, id) => sum + (node(id)?.state.authFailures ?? 0), 0),
    summary: () => replicas.map((id) => {
      const s = node(id)?.state;
      if (!s) return `${id}: down`;
      return `${id}${faulty.includes(id) ? ` (${byzantine[id].join(',')})` : ''}: view ${s.view}${s.inViewChange ? ' (changing)' : ''}, executed ${s.lastExecuted}, stable ${s.stableSeq}, log ${s.log.prePrepares.length}/${s.log.prepares.length}/${s.log.commits.length}`;
    }).join('\n'),
  };
}
