import { ConfigError, NodeId, requireInteger } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { Database, sameSiblings } from '../gossip/versions';
import { RegisterClient, RegisterClientOptions } from './client';
import { Replica, ReplicaOptions } from './replica';

/** Options of a register cluster. Only `seed` and `mode` are required. */
export interface RegisterClusterOptions {
  seed: number | string;
  mode: 'cp' | 'ap';
  /** How many replicas (r1..rN). Default 3. */
  replicas?: number;
  /** How many clients (c1..cM); client i talks to replica i mod N. Default 6. */
  clients?: number;
  /** Replica options beyond `replicas` and `mode` (reconciliation, quorums, repairs, rules). */
  replica?: Omit<ReplicaOptions, 'replicas' | 'mode'>;
  /** Client options beyond `home`. */
  client?: Omit<RegisterClientOptions, 'home'>;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  recordTrace?: boolean;
}

/** A simulator with replicas and clients, and what the experiments read from it. */
export interface RegisterCluster {
  sim: Simulator;
  replicas: NodeId[];
  clients: NodeId[];
  /** The replica each client talks to. */
  homes: Record<NodeId, NodeId>;
  /** A replica's database: its live state, or its durable one while it is down. */
  database(replica: NodeId): Database;
  /** True when the replicas that are up hold the same versions of every key. */
  agree(): boolean;
  /**
   * The partition that cuts the last `minority` replicas (default: fewer than half) and their
   * clients from the rest: [majority side, minority side].
   */
  partitionGroups(minority?: number): NodeId[][];
}

/**
 * Builds the replicated register of the CAP and BASE experiments (see Replica) with closed-loop
 * clients, on a seeded simulator.
 *
 * @example
 *   const c = registerCluster({ seed: 1, mode: 'cp' });
 *   c.sim.run({ untilMs: 500 });
 *   checkRegisterHistory(c.sim.history).ok; // true
 */
export function registerCluster(options: RegisterClusterOptions): RegisterCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with a seed and a mode', options);
  const n = requireInteger('replicas', options.replicas ?? 3, 1);
  const m = requireInteger('clients', options.clients ?? 6, 0);
  const replicas = Array.from({ length: n }, (_, i) => `r${i + 1}`);
  const clients = Array.from({ length: m }, (_, i) => `c${i + 1}`);
  const homes: Record<NodeId, NodeId> = {};
  clients.forEach((c, i) => (homes[c] = replicas[i % n]));
  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace ?? true });
  const replicaOptions: ReplicaOptions = { ...options.replica, replicas, mode: options.mode };
  for (const r of replicas) sim.addNode(r, () => new Replica(replicaOptions));
  for (const c of clients) sim.addNode(c, () => new RegisterClient({ ...options.client, home: homes[c] }));
  if (options.faults) sim.schedule(options.faults);

  const database = (id: NodeId): Database => {
    const live = sim.node<Replica>(id);
    if (live) return live.state.db;
    return (sim.durable(id).get('replica') as { db: Database } | undefined)?.db ?? {};
  };
  return {
    sim,
    replicas,
    clients,
    homes,
    database,
    agree: () => {
      const dbs = replicas.filter((r) => sim.isUp(r)).map(database);
      return dbs.every((db) => sameDatabaseVersions(db, dbs[0]));
    },
    partitionGroups: (minority = Math.floor((n - 1) / 2)) => {
      const minorityReplicas = replicas.slice(n - minority);
      const side = (r: NodeId) => (minorityReplicas.includes(r) ? 1 : 0);
      const groups: NodeId[][] = [[], []];
      for (const r of replicas) groups[side(r)].push(r);
      for (const c of clients) groups[side(homes[c])].push(c);
      return groups;
    },
  };
}

/** True when two databases hold the same versions of every key. */
export function sameDatabaseVersions(a: Database, b: Database): boolean {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (!sameSiblings(a[key] ?? [], b[key] ?? [])) return false;
  return true;
}
